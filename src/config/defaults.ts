/**
 * Every default, in one place. Durations in milliseconds. Values that depend on other
 * fields (connection type, server type, cwd) are derived in `normalize.ts`.
 */
export const DEFAULTS = {
  manager: {
    logLevel: 'info',
    shutdownTimeoutMs: 15_000,
    logMaxSizeBytes: 10 * 1000 * 1000,
    logKeep: 5,
    httpHost: '127.0.0.1',
    /** Legacy-era HTTP sessions held at once; at the cap the least recently used idle one is evicted. */
    httpSessions: 1000,
    sessionIdleTimeoutMs: 30 * 60_000,
    metrics: true,
  },
  server: {
    inheritEnv: true,
    enabled: true,
    restart: 'permanent',
    replicas: 1,
    maxConcurrentRequests: 10,
    queueTimeoutMs: 30_000,
    /** Requests that may wait for a free instance, beyond those in flight; one more is refused as busy. */
    maxQueuedRequests: 1024,
    loadBalancing: 'round_robin',
    sessionAffinity: false,
    /** Probe the server's era once, then remember the verdict (see src/server-actor/era.ts). */
    protocol: 'auto',
    startupTimeoutMs: 30_000,
    healthCheckIntervalMs: 30_000,
    stopGraceMs: 1_000,
    stopTimeoutMs: 5_000,
    maxRestarts: 5,
    restartWindowMs: 60_000,
    /** Consecutive bad health results before a server drops one tier. */
    healthDownAfter: 3,
    /** Consecutive good health results before it rises one tier. */
    healthUpAfter: 2,
    /** How long a server may stay critical before it is restarted. */
    criticalGraceMs: 30_000,
    /** How long a retiring instance (reload, removal) may finish its calls in flight. */
    drainTimeoutMs: 30_000,
    backoff: {
      initialMs: 1_000,
      multiplier: 2,
      maxMs: 30_000,
      jitter: 0.2,
      resetAfterMs: 60_000,
    },
  },
} as const;
