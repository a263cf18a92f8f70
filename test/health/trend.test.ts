import { describe, expect, it } from 'vitest';
import { HEALTH_DEFAULTS } from '../../src/health/defaults.js';
import { Ring } from '../../src/health/ring.js';
import { ewma, failureRate, formatBytes, formatDuration, leastSquares, memoryTrend, percentile } from '../../src/health/trend.js';

const MiB = 1024 * 1024;
const options = HEALTH_DEFAULTS.memoryTrend;
/** n samples, one per `stepMs`, memory = base + perStep·i (+ noise). */
const series = (n: number, stepMs: number, base: number, perStep: number, noise: (i: number) => number = () => 0) =>
  Array.from({ length: n }, (_, i) => [i * stepMs, base + perStep * i + noise(i)] as const);

describe('Ring', () => {
  it('keeps the newest items, oldest first', () => {
    const ring = new Ring<number>(3);
    expect(ring.toArray()).toEqual([]);
    expect(ring.last()).toBeUndefined();
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(ring.last()).toBe(5);
    ring.clear();
    expect(ring.toArray()).toEqual([]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new Ring(0)).toThrow(RangeError);
    expect(() => new Ring(1.5)).toThrow(/positive integer, got 1.5/);
  });
});

describe('latency and failure statistics', () => {
  it('ewma starts at the first value and weights the newest by alpha', () => {
    expect(ewma(null, 10, 0.2)).toBe(10);
    expect(ewma(10, 20, 0.2)).toBeCloseTo(12, 10);
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([], 95)).toBeNull();
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 1000], 95)).toBe(1000);
  });

  it('failure rate is the share of bad checks', () => {
    expect(failureRate([])).toBe(0);
    expect(failureRate([true, false, true, true])).toBe(0.25);
  });
});

describe('leastSquares', () => {
  it('recovers slope and fit of a line', () => {
    const fit = leastSquares([
      [0, 1],
      [1, 3],
      [2, 5],
    ]);
    expect(fit?.slope).toBeCloseTo(2, 10);
    expect(fit?.r2).toBeCloseTo(1, 10);
  });

  it('has no answer for one point or no spread in x', () => {
    expect(leastSquares([[0, 1]])).toBeNull();
    expect(
      leastSquares([
        [1, 1],
        [1, 2],
      ]),
    ).toBeNull();
  });

  it('reports a poor fit for noise', () => {
    const fit = leastSquares(series(20, 1, 0, 0, (i) => (i % 2 === 0 ? 10 : -10)));
    expect(fit!.r2).toBeLessThan(0.1);
  });
});

describe('memoryTrend', () => {
  it('needs enough samples', () => {
    expect(memoryTrend(series(options.minSamples - 1, 30_000, 100 * MiB, 5 * MiB), 1024 * MiB, options)).toEqual({
      bytesPerMin: null,
      flag: null,
    });
  });

  it('flags a steady climb that reaches max_memory within the horizon, with rate and time left', () => {
    // 6 MB per 30 s check = 12 MB/min; at 100+6·9 = 154 MB, 300 - 154 = 146 MB to go ≈ 12 min
    const trend = memoryTrend(series(10, 30_000, 100 * MiB, 6 * MiB), 300 * MiB, options);
    expect(trend.bytesPerMin).toBeCloseTo(12 * MiB, 0);
    expect(trend.flag).toBe('memory climbing 12 MB/min, reaches max_memory 300 MB in ~12 min');
  });

  it('does not flag a climb that would take longer than the horizon', () => {
    // 0.1 MB/min with 1 GB to go: days away
    const trend = memoryTrend(series(20, 60_000, 100 * MiB, 0.1 * MiB), 1124 * MiB, options);
    expect(trend.bytesPerMin).toBeCloseTo(0.1 * MiB, 0);
    expect(trend.flag).toBeNull();
  });

  it('does not flag a noisy or falling series', () => {
    expect(
      memoryTrend(
        series(30, 1_000, 100 * MiB, 0.2 * MiB, (i) => (i % 3) * 20 * MiB),
        300 * MiB,
        options,
      ).flag,
    ).toBeNull();
    expect(memoryTrend(series(30, 1_000, 300 * MiB, -1 * MiB), 400 * MiB, options).flag).toBeNull();
  });

  it('without max_memory flags only a fast climb', () => {
    const fast = memoryTrend(series(10, 60_000, 100 * MiB, 20 * MiB), null, options);
    expect(fast.flag).toBe('memory climbing 20 MB/min (no max_memory set), now 280 MB');
    expect(memoryTrend(series(10, 60_000, 100 * MiB, 2 * MiB), null, options).flag).toBeNull();
  });

  it('says so when already at the limit', () => {
    expect(memoryTrend(series(10, 1_000, 100 * MiB, 10 * MiB), 150 * MiB, options).flag).toMatch(/at or above max_memory 150 MB$/);
  });
});

describe('formatting', () => {
  it.each([
    [512, '512 B'],
    [1536, '1.5 KB'],
    [12.5 * MiB, '13 MB'],
    [2.5 * MiB, '2.5 MB'],
    [1536 * MiB, '1.5 GB'],
  ])('formatBytes(%d) = %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it.each([
    [400, '1 s'],
    [45_000, '45 s'],
    [4 * 60_000 + 10_000, '4 min'],
    [150 * 60_000, '2.5 h'],
  ])('formatDuration(%d) = %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
