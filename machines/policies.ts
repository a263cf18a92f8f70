/**
 * Pure restart policies: backoff with jitter, restart decisions, health hysteresis.
 * No I/O, no clock: callers pass what they need.
 */

export type RestartType = 'permanent' | 'transient' | 'temporary';

export interface BackoffPolicy {
  initialMs: number;
  multiplier: number;
  maxMs: number;
  /** 0.2 means ±20 %. */
  jitter: number;
  resetAfterMs: number;
}

/**
 * Delay before restart number `attempt` (0-based): initial × multiplier^attempt, capped,
 * then spread by ±jitter. `random` is a number in [0, 1) (see `nextRandom`).
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.multiplier, Math.max(0, attempt)));
  const spread = base * policy.jitter * (random * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

/**
 * Delay before restart number `attempt` (0-based) since the last stable period: the first
 * restart happens at once (as OTP and PM2 do: one crash of a stable server is news, not a
 * loop), the backoff applies from the second on.
 */
export function restartDelayMs(attempt: number, policy: BackoffPolicy, random: number): number {
  return attempt <= 0 ? 0 : backoffDelayMs(attempt - 1, policy, random);
}

/**
 * One step of a seeded generator (mulberry32): the chart keeps the state in its context,
 * so jitter is pure and a given seed replays the same delays. The seed comes from outside
 * (the composition root draws it; tests pick it).
 */
export function nextRandom(state: number): { value: number; state: number } {
  const next = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(next ^ (next >>> 15), next | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296, state: next };
}

/** A seed for one instance from a parent seed and the instance id (FNV-1a over the id). */
export function seedFor(seed: number, id: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/** Was this an abnormal end? A clean exit code 0 without a signal is normal. */
export function isAbnormalExit(exit: { exitCode: number | null; signal: string | null } | null): boolean {
  if (!exit) return true;
  return exit.signal !== null || exit.exitCode !== 0;
}

/** Whether the restart type allows a restart after this end (OTP semantics). */
export function restartAllowed(type: RestartType, abnormal: boolean): boolean {
  switch (type) {
    case 'permanent':
      return true;
    case 'transient':
      return abnormal;
    case 'temporary':
      return false;
  }
}

/**
 * Restart intensity: `recent` restarts already happened inside the window.
 * One more is allowed only while recent < maxRestarts.
 */
export function intensityExceeded(recent: number, maxRestarts: number): boolean {
  return recent >= maxRestarts;
}

export interface HysteresisPolicy {
  /** Consecutive bad results before dropping one tier. */
  downAfter: number;
  /** Consecutive good results before rising one tier. */
  upAfter: number;
}

export interface Streaks {
  good: number;
  bad: number;
}

/** Fold one probe result into the streak counters. */
export function nextStreaks(streaks: Streaks, good: boolean): Streaks {
  return good ? { good: streaks.good + 1, bad: 0 } : { good: 0, bad: streaks.bad + 1 };
}
