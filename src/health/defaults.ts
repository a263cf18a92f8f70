/**
 * Every default of the health monitor and the probe pool, in one object. Durations in
 * milliseconds, sizes in bytes. Per-server values may override some of them
 * (`HealthOverrides` in types.ts); the ping interval itself is the server's
 * `healthCheckIntervalMs`.
 */
import { PROBE_POOL_DEFAULTS } from '../probes/defaults.js';

export const HEALTH_DEFAULTS = {
  /** MCP ping deadline; never above the interval (a ping ends before the next one starts). */
  pingTimeoutMs: 5_000,
  /** A ping slower than this is a bad result. */
  slowPingMs: 1_000,
  /** Consecutive ping timeouts, with the process alive, that mean a wedged event loop → restart. */
  wedgedAfterTimeouts: 2,
  /** Reachability (HTTP/TCP) and command probe deadline; never above the interval. */
  probeTimeoutMs: 5_000,
  /** Consecutive samples above max_cpu_percent → restart. */
  cpuLimitSamples: 3,
  /** Group RSS above this fraction of max_memory is a bad result (above 1 → restart). */
  memoryWarnFraction: 0.9,
  /** Samples kept per instance (ring buffer) for latency, failure rate and memory trend. */
  historySize: 120,
  /** Weight of the newest ping latency in the moving average. */
  latencyEwmaAlpha: 0.2,
  memoryTrend: {
    /** Samples needed before a trend is computed. */
    minSamples: 8,
    /** Least-squares fit (r²) a climb needs to count as steady. */
    minFit: 0.8,
    /** With max_memory: flag when the climb reaches it within this horizon. */
    horizonMs: 30 * 60_000,
    /** Without max_memory: flag a steady climb at least this fast. */
    unboundedBytesPerMin: 10 * 1024 * 1024,
  },
  /** Checks started per event-loop turn when many are due at once (the rest wait a turn). */
  checksPerTurn: 8,
  /**
   * How often the whole of /proc is read for process-group members that left the process
   * tree (between scans a group is followed through its members and their children).
   */
  groupScanTtlMs: 60_000,
  pool: PROBE_POOL_DEFAULTS,
} as const;

export type HealthDefaults = typeof HEALTH_DEFAULTS;
