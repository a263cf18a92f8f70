/**
 * Piscina worker entry (loaded as compiled JS: dist/src/probes/worker.js). Imports only
 * from src/probes/. Runs a batch of probes concurrently; every probe resolves with a
 * plain result, nothing is thrown back.
 */
import { parentPort } from 'node:worker_threads';
import { runProbe } from './run.js';
import type { BatchChild, BatchStarted, ProbeBatch, ProbeHooks, ProbeResult } from './types.js';

export default function probeBatch(batch: ProbeBatch): Promise<ProbeResult[]> {
  // the pool's deadline for this batch starts now, not while it waited for a thread
  parentPort?.postMessage({ probeBatchStarted: batch.id } satisfies BatchStarted);
  // should this thread be stopped mid-probe, the pool kills the groups still running
  const hooks: ProbeHooks = {
    child: (pgid, running) => parentPort?.postMessage({ probeBatchChild: { batch: batch.id, pgid, running } } satisfies BatchChild),
  };
  return Promise.all(batch.tasks.map((task) => runProbe(task, hooks)));
}
