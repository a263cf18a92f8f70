import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  intensityExceeded,
  isAbnormalExit,
  nextRandom,
  nextStreaks,
  restartAllowed,
  seedFor,
} from '../../machines/policies.js';

/** DESIGN §3's defaults: 1 s ×2, cap 30 s, ±20 %, reset after 60 s. */
const DEFAULT_BACKOFF = { initialMs: 1_000, multiplier: 2, maxMs: 30_000, jitter: 0.2, resetAfterMs: 60_000 };

describe('backoffDelayMs', () => {
  const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 };

  it('doubles from the initial delay and stops at the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, noJitter, 0.9));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('spreads by at most ±jitter and covers both ends', () => {
    const policy = { ...DEFAULT_BACKOFF, jitter: 0.2 };
    expect(backoffDelayMs(0, policy, 0)).toBe(800);
    expect(backoffDelayMs(0, policy, 0.999999)).toBe(1_200);
    expect(backoffDelayMs(0, policy, 0.5)).toBe(1_000);
    let state = 7;
    const delays = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const random = nextRandom(state);
      state = random.state;
      const d = backoffDelayMs(3, policy, random.value);
      expect(d).toBeGreaterThanOrEqual(6_400);
      expect(d).toBeLessThanOrEqual(9_600);
      delays.add(d);
    }
    // the spread is real: many different delays, not one
    expect(delays.size).toBeGreaterThan(100);
  });
});

describe('nextRandom / seedFor', () => {
  it('replays the same sequence from the same seed and stays in [0, 1)', () => {
    const run = (seed: number) => {
      const values: number[] = [];
      let state = seed;
      for (let i = 0; i < 50; i++) {
        const r = nextRandom(state);
        values.push(r.value);
        state = r.state;
      }
      return values;
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
    for (const v of run(42)) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('gives replicas of one server different seeds', () => {
    expect(seedFor(1, 'memory#1')).not.toBe(seedFor(1, 'memory#2'));
    expect(seedFor(1, 'memory#1')).toBe(seedFor(1, 'memory#1'));
    expect(seedFor(1, 'memory#1')).not.toBe(seedFor(2, 'memory#1'));
  });
});

describe('restart decisions', () => {
  it('treats only exit code 0 without a signal as normal', () => {
    expect(isAbnormalExit({ exitCode: 0, signal: null })).toBe(false);
    expect(isAbnormalExit({ exitCode: 1, signal: null })).toBe(true);
    expect(isAbnormalExit({ exitCode: null, signal: 'SIGKILL' })).toBe(true);
    expect(isAbnormalExit(null)).toBe(true);
  });

  it('follows OTP restart types', () => {
    expect(restartAllowed('permanent', false)).toBe(true);
    expect(restartAllowed('permanent', true)).toBe(true);
    expect(restartAllowed('transient', false)).toBe(false);
    expect(restartAllowed('transient', true)).toBe(true);
    expect(restartAllowed('temporary', true)).toBe(false);
  });

  it('allows max_restarts restarts inside the window, not one more', () => {
    expect(intensityExceeded(4, 5)).toBe(false);
    expect(intensityExceeded(5, 5)).toBe(true);
  });
});

describe('health hysteresis helpers', () => {
  it('counts consecutive results and resets the other streak', () => {
    expect(nextStreaks({ good: 2, bad: 0 }, false)).toEqual({ good: 0, bad: 1 });
    expect(nextStreaks({ good: 0, bad: 3 }, true)).toEqual({ good: 1, bad: 0 });
  });
});
