/**
 * The probe pool: piscina worker threads running probes that may block or misbehave.
 *
 * Probes wait in a queue here; whenever a thread is free, everything waiting (up to
 * `maxBatch`) goes to it as one batch and runs concurrently there, so a probe that
 * hangs until its timeout holds back nobody. A batch runs under an AbortSignal: past
 * its longest timeout plus a grace (counted from when the worker started it), the
 * batch is aborted, piscina terminates the thread and starts a replacement.
 * `run` never rejects: failures, a stopped thread included, are results.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { PROBE_POOL_DEFAULTS } from './defaults.js';
import { messageOf } from './reasons.js';
import { clampTimeout } from './run.js';
import type { BatchChild, BatchStarted, ProbeBatch, ProbeResult, ProbeTask } from './types.js';

export interface ProbePoolOptions {
  minThreads?: number;
  maxThreads?: number;
  idleTimeoutMs?: number;
  /** Past a batch's longest timeout, how long before the thread running it is stopped. */
  graceMs?: number;
  /** A batch no thread starts within this fails (threads that cannot boot). */
  startTimeoutMs?: number;
  maxBatch?: number;
  closeTimeoutMs?: number;
  /** Another worker entry (tests). Default: `probeWorkerEntry()`. */
  worker?: { filename: string; execArgv: string[] };
  /** Pool-level errors (a thread that died between tasks, a close timeout). Never thrown. */
  onError?: (error: Error) => void;
}

export interface ProbePoolStats {
  threads: number;
  /** Probes waiting for a free thread. */
  queued: number;
  /** Batches being run. */
  running: number;
  /** Probes finished (any outcome). */
  completed: number;
  /** Batches stopped at their deadline (their threads were terminated and replaced). */
  deadlineStops: number;
}

export interface ProbePool {
  /** Resolves with the probe's result; never rejects. */
  run(task: ProbeTask): Promise<ProbeResult>;
  stats(): ProbePoolStats;
  /** Refuse new probes, fail queued ones, let running ones end (bounded), stop the threads. */
  close(): Promise<void>;
}

/**
 * The worker file next to this module: compiled `worker.js` (dist/; Node 20 cannot load
 * TS in workers), else the TS source through tsx (vitest and tsx runs from src/).
 */
export function probeWorkerEntry(): { filename: string; execArgv: string[] } {
  const compiled = new URL('./worker.js', import.meta.url);
  if (existsSync(compiled)) return { filename: fileURLToPath(compiled), execArgv: [] };
  return { filename: fileURLToPath(new URL('./worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}

interface Waiting {
  task: ProbeTask;
  started: number;
  resolve: (result: ProbeResult) => void;
}

export function createProbePool(options: ProbePoolOptions = {}): ProbePool {
  const d = PROBE_POOL_DEFAULTS;
  const maxThreads = Math.max(1, Math.min(options.maxThreads ?? d.maxThreads, availableParallelism()));
  const minThreads = Math.min(options.minThreads ?? d.minThreads, maxThreads);
  const graceMs = options.graceMs ?? d.graceMs;
  const startTimeoutMs = options.startTimeoutMs ?? d.startTimeoutMs;
  const maxBatch = Math.max(1, options.maxBatch ?? d.maxBatch);
  const worker = options.worker ?? probeWorkerEntry();
  const onError = options.onError ?? (() => undefined);

  const piscina = new Piscina<ProbeBatch, ProbeResult[]>({
    filename: worker.filename,
    execArgv: worker.execArgv,
    minThreads,
    maxThreads,
    idleTimeout: options.idleTimeoutMs ?? d.idleTimeoutMs,
    closeTimeout: options.closeTimeoutMs ?? d.closeTimeoutMs,
    // a worker must never sit frozen in Atomics.wait between tasks: its sockets and
    // child processes need their event loop
    atomics: 'disabled',
    resourceLimits: { maxOldGenerationSizeMb: d.maxOldGenerationSizeMb },
  });
  // an EventEmitter without an 'error' listener would throw
  piscina.on('error', (error: unknown) => onError(error instanceof Error ? error : new Error(String(error))));
  const onStarted = new Map<number, () => void>();
  /** Process groups that probes of a running batch started and have not yet seen end. */
  const children = new Map<number, Set<number>>();
  piscina.on('message', (message: unknown) => {
    const m = (message ?? {}) as Partial<BatchStarted & BatchChild>;
    if (typeof m.probeBatchStarted === 'number') onStarted.get(m.probeBatchStarted)?.();
    const child = m.probeBatchChild;
    if (child && children.has(child.batch)) {
      if (child.running) children.get(child.batch)!.add(child.pgid);
      else children.get(child.batch)!.delete(child.pgid);
    }
  });

  let waiting: Waiting[] = [];
  let running = 0;
  let completed = 0;
  let deadlineStops = 0;
  let nextId = 1;
  let closing: Promise<void> | undefined;

  const failure = (w: Waiting, detail: string): ProbeResult => ({
    ok: false,
    kind: w.task.kind,
    latencyMs: Math.round((performance.now() - w.started) * 10) / 10,
    detail,
    at: Date.now(),
  });
  const settle = (w: Waiting, result: ProbeResult) => {
    completed++;
    w.resolve(result);
  };

  function pump(): void {
    while (!closing && running < maxThreads && waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(maxBatch);
      running++;
      void runBatch(batch).finally(() => {
        running--;
        pump();
      });
    }
  }

  async function runBatch(batch: Waiting[]): Promise<void> {
    const id = nextId++;
    children.set(id, new Set());
    const controller = new AbortController();
    const runMs = Math.max(...batch.map((w) => clampTimeout(w.task.timeoutMs))) + graceMs;
    const progress = { started: false };
    let timer = setTimeout(() => controller.abort(), startTimeoutMs);
    onStarted.set(id, () => {
      progress.started = true;
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), runMs);
    });
    try {
      const results = await piscina.run({ id, tasks: batch.map((w) => w.task) }, { signal: controller.signal });
      batch.forEach((w, i) => {
        const result = Array.isArray(results) ? (results[i] as unknown) : undefined;
        settle(w, isProbeResult(result) ? result : failure(w, 'probe worker returned no result'));
      });
    } catch (error) {
      // the batch's thread was stopped (its deadline, or the pool closing) or died before its
      // probes could clean up: the process groups they started and did not see end go now
      for (const pgid of children.get(id) ?? []) killGroup(pgid);
      let detail: string;
      if (controller.signal.aborted && progress.started) {
        deadlineStops++;
        detail = `probe did not finish within ${runMs} ms; its worker thread was stopped and replaced`;
      } else if (controller.signal.aborted) {
        detail = `no probe thread started this probe within ${startTimeoutMs} ms`;
      } else {
        detail = closing ? 'probe pool is closed' : `probe worker failed: ${messageOf(error)}`;
      }
      for (const w of batch) settle(w, failure(w, detail));
    } finally {
      clearTimeout(timer);
      onStarted.delete(id);
      children.delete(id);
    }
  }

  return {
    run(task) {
      return new Promise<ProbeResult>((resolve) => {
        const w: Waiting = { task, started: performance.now(), resolve };
        if (closing) return settle(w, failure(w, 'probe pool is closed'));
        waiting.push(w);
        pump();
      });
    },
    stats: () => ({ threads: piscina.threads.length, queued: waiting.length, running, completed, deadlineStops }),
    close() {
      if (closing) return closing;
      const dropped = waiting;
      waiting = [];
      for (const w of dropped) settle(w, failure(w, 'probe pool is closed'));
      closing = piscina.close({ force: true }).catch((error: unknown) => onError(new Error(messageOf(error))));
      return closing;
    },
  };
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function isProbeResult(value: unknown): value is ProbeResult {
  return typeof value === 'object' && value !== null && typeof (value as ProbeResult).ok === 'boolean';
}
