/**
 * Request-level load loops for the gateway benchmark: sequential latency and closed-loop
 * throughput at a fixed number of requests in flight, plus per-process CPU accounting over
 * the measured window. Everything is bounded in count and time.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readCpuMs } from './proc.js';

/** One request; resolves when its reply arrived and was checked, rejects otherwise. */
export type Call = () => Promise<void>;

export interface SequentialPlan {
  /** Calls before the timed ones (JIT, connection set-up, caches), per target. */
  warmup: number;
  /** Timed calls per target. */
  calls: number;
  /** Bound per target: stop early (with fewer samples) after maxMs × targets in all; the warm-up gets maxMs / 4 per target. */
  maxMs: number;
}

export interface LoadPlan {
  /** Requests kept in flight (closed loop: each worker sends its next call when the last one returned). */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

/** A process whose CPU time is charged to the measured calls. `pid` undefined = this process. */
export interface Watched {
  name: string;
  pid: number | undefined;
}

export interface LoadResult {
  /** Calls completed inside the measured window. */
  calls: number;
  /** Length of the measured window. */
  seconds: number;
  /** Latency of each call completed inside the window, in ms. */
  latencies: number[];
  errors: number;
  firstError?: unknown;
  /** CPU time per completed call, µs, per watched process (undefined where it cannot be read). */
  cpuUsPerCall: Map<string, number | undefined>;
}

/** Bound on how long in-flight calls may take to return once the window closed. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * CPU time of a process in µs: the sum over its threads of /proc/<pid>/task/<tid>/schedstat
 * (ns on the CPU, exact), else /proc/<pid>/stat (10 ms ticks); this process: cpuUsage().
 */
export function cpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  }
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    if (Number.isFinite(ns) && ns > 0) return ns / 1000;
  } catch {
    // no schedstat: fall back to ticks
  }
  const ms = readCpuMs(pid);
  return ms === undefined ? undefined : ms * 1000;
}

export const cpuNow = (watched: readonly Watched[]): (number | undefined)[] => watched.map(({ pid }) => cpuUs(pid));

/** Like cpuNow, but reads this process (pid undefined) last ('before') or first ('after'). */
function snapshotAround(watched: readonly Watched[], when: 'before' | 'after'): (number | undefined)[] {
  const out: (number | undefined)[] = new Array<number | undefined>(watched.length);
  const own = watched.map((w, i) => (w.pid === undefined ? i : -1)).filter((i) => i >= 0);
  const others = watched.map((w, i) => (w.pid === undefined ? -1 : i)).filter((i) => i >= 0);
  for (const i of when === 'before' ? [...others, ...own] : [...own, ...others]) out[i] = cpuUs(watched[i]!.pid);
  return out;
}

/** CPU µs per call for each watched process from two snapshots. */
function perCall(
  watched: readonly Watched[],
  from: readonly (number | undefined)[],
  to: readonly (number | undefined)[],
  calls: number,
): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  watched.forEach(({ name }, i) => {
    const a = from[i];
    const b = to[i];
    out.set(name, a === undefined || b === undefined || calls === 0 ? undefined : (b - a) / calls);
  });
  return out;
}

export interface SequentialTarget {
  call: Call;
  watched: readonly Watched[];
}

export interface SequentialResult {
  latencies: number[];
  /** CPU µs per call per watched process, over the timed blocks only. */
  cpuUsPerCall: Map<string, number | undefined>;
}

/**
 * Sequential latency of several targets at once: a warm-up of each, then blocks of
 * `block` calls taking turns across the targets (rotating who goes first), so that
 * background load on the machine hits every target alike. CPU time of each target's
 * processes is charged per block. Stops at `plan.calls` per target or after
 * `plan.maxMs` × targets in all (plus at most `plan.maxMs` / 4 of warm-up per target).
 */
export async function interleavedSequential(
  targets: readonly SequentialTarget[],
  plan: SequentialPlan,
  block: number,
): Promise<SequentialResult[]> {
  for (const target of targets) {
    const warmUntil = performance.now() + plan.maxMs / 4;
    for (let i = 0; i < plan.warmup && performance.now() < warmUntil; i++) await target.call();
  }
  const latencies = targets.map((): number[] => []);
  const cpu = targets.map((t) => t.watched.map((): number | undefined => 0));
  const deadline = performance.now() + plan.maxMs * targets.length;
  for (let round = 0; latencies.some((l) => l.length < plan.calls) && performance.now() < deadline; round++) {
    for (let j = 0; j < targets.length; j++) {
      const i = (round + j) % targets.length;
      const target = targets[i]!;
      const want = Math.min(block, plan.calls - latencies[i]!.length);
      if (want <= 0) continue;
      // this process last before and first after: its CPU excludes reading the others' /proc
      const before = snapshotAround(target.watched, 'before');
      for (let k = 0; k < want; k++) {
        const start = performance.now();
        await target.call();
        latencies[i]!.push(performance.now() - start);
      }
      const after = snapshotAround(target.watched, 'after');
      cpu[i] = cpu[i]!.map((sum, w) =>
        sum === undefined || before[w] === undefined || after[w] === undefined ? undefined : sum + after[w] - before[w],
      );
    }
  }
  return targets.map((target, i) => ({
    latencies: latencies[i]!,
    cpuUsPerCall: perCall(
      target.watched,
      target.watched.map(() => 0),
      cpu[i]!,
      latencies[i]!.length,
    ),
  }));
}

/**
 * `plan.concurrency` workers call in a loop; after `warmupMs` the window opens, after
 * `durationMs` more it closes and the workers stop (the calls in flight are awaited, not
 * counted). Errors are counted, not thrown, so a partly failing target still reports.
 */
export async function closedLoop(call: Call, plan: LoadPlan, watched: readonly Watched[] = []): Promise<LoadResult> {
  let windowStart: number | undefined;
  let windowEnd: number | undefined;
  let cpuStart: (number | undefined)[] = [];
  let cpuEnd: (number | undefined)[] = [];
  let stop = false;
  let calls = 0;
  let errors = 0;
  let firstError: unknown;
  const latencies: number[] = [];

  const open = setTimeout(() => {
    cpuStart = cpuNow(watched);
    windowStart = performance.now();
  }, plan.warmupMs);
  const close = setTimeout(() => {
    windowEnd = performance.now();
    cpuEnd = cpuNow(watched);
    stop = true;
  }, plan.warmupMs + plan.durationMs);

  const worker = async (): Promise<void> => {
    while (!stop) {
      const start = performance.now();
      try {
        await call();
      } catch (error) {
        errors++;
        firstError ??= error;
        continue;
      }
      if (windowStart !== undefined && !stop) {
        calls++;
        latencies.push(performance.now() - start);
      }
    }
  };

  let drainTimer: NodeJS.Timeout | undefined;
  try {
    const workers = Promise.all(Array.from({ length: plan.concurrency }, worker));
    const bound = new Promise<never>((_, reject) => {
      drainTimer = setTimeout(
        () => reject(new Error(`calls did not return within ${DRAIN_TIMEOUT_MS} ms of the window closing`)),
        plan.warmupMs + plan.durationMs + DRAIN_TIMEOUT_MS,
      );
    });
    await Promise.race([workers, bound]);
  } finally {
    clearTimeout(open);
    clearTimeout(close);
    clearTimeout(drainTimer);
    stop = true;
  }

  const seconds = windowStart === undefined || windowEnd === undefined ? 0 : (windowEnd - windowStart) / 1000;
  const cpuUsPerCall = perCall(watched, cpuStart, cpuEnd, calls);
  return { calls, seconds, latencies, errors, ...(firstError === undefined ? {} : { firstError }), cpuUsPerCall };
}

/** Pool several rounds of the same target into one result (calls and seconds add up; CPU per call is call-weighted). */
export function pool(results: readonly LoadResult[]): LoadResult {
  const calls = results.reduce((n, r) => n + r.calls, 0);
  const cpuUsPerCall = new Map<string, number | undefined>();
  for (const name of results[0]?.cpuUsPerCall.keys() ?? []) {
    let total = 0;
    let known = true;
    for (const r of results) {
      const us = r.cpuUsPerCall.get(name);
      if (us === undefined) known = false;
      else total += us * r.calls;
    }
    cpuUsPerCall.set(name, known && calls > 0 ? total / calls : undefined);
  }
  const firstError = results.find((r) => r.firstError !== undefined)?.firstError;
  return {
    calls,
    seconds: results.reduce((s, r) => s + r.seconds, 0),
    latencies: results.flatMap((r) => r.latencies),
    errors: results.reduce((n, r) => n + r.errors, 0),
    ...(firstError === undefined ? {} : { firstError }),
    cpuUsPerCall,
  };
}
