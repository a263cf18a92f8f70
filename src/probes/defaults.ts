/** Defaults of the probe pool (worker threads), in one object. Durations in milliseconds. */
export const PROBE_POOL_DEFAULTS = {
  minThreads: 1,
  /** Capped by the machine's parallelism. */
  maxThreads: 2,
  idleTimeoutMs: 30_000,
  /** Past the longest timeout of a running batch, the pool stops the thread that runs it. */
  graceMs: 1_000,
  /** A batch that no thread starts within this (threads failing to boot) fails. */
  startTimeoutMs: 15_000,
  /** Probes sent to one thread at once; they run concurrently there. */
  maxBatch: 100,
  /** On close, how long running probes may take before their threads are stopped. */
  closeTimeoutMs: 5_000,
  /** Heap cap per probe thread: a runaway probe ends its thread, not the manager. */
  maxOldGenerationSizeMb: 128,
} as const;
