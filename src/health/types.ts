/** The health monitor's data: per-server overrides, what it reports, its injectable parts. */
import type { ProbeKind, ProbeResult, ProbeTask } from '../probes/types.js';

/** Per-server health settings on top of `HEALTH_DEFAULTS` (the lead maps config fields here). */
export interface HealthOverrides {
  pingTimeoutMs?: number;
  slowPingMs?: number;
  probeTimeoutMs?: number;
  wedgedAfterTimeouts?: number;
  cpuLimitSamples?: number;
  memoryWarnFraction?: number;
  /** false: no HTTP/TCP reachability probe for a remote server. Default true. */
  reachability?: boolean;
  /** A health command run in the probe pool (no shell); exit 0 = ok. */
  command?: { command: string; args?: string[]; timeoutMs?: number };
}

export type HealthProbeKind = ProbeKind | 'ping';

/** One probe's last outcome, as shown in a snapshot. */
export interface ProbeSummary {
  kind: HealthProbeKind;
  ok: boolean;
  at: number;
  latencyMs: number;
  detail: string;
}

/**
 * What the monitor knows of one instance. The lead merges it into a `HealthEntry`
 * (control/types.ts) with `state` and `restarts` from the supervisor.
 */
export interface InstanceHealth {
  /** Server name. */
  name: string;
  instance: string;
  pid: number | null;
  /** MCP ping round trips (successful pings), ms. */
  latencyMs: { last: number | null; ewma: number | null; p95: number | null };
  /** Whole process group, percent of one core; null for remote servers or before the first sample. */
  cpuPercent: number | null;
  /** Whole process group RSS, bytes. */
  memoryBytes: number | null;
  /** Live processes in the group at the last sample. */
  processes: number | null;
  limits: { maxMemoryBytes: number | null; maxCpuPercent: number | null };
  trend: {
    /** Least-squares slope of group RSS over the history window; null until enough samples. */
    memoryGrowthBytesPerMin: number | null;
    /** Share of bad checks over the history window, 0..1. */
    failureRate: number;
    /** Samples in the window. */
    samples: number;
    flagged: string[];
  };
  /** The last check's most telling probe: its first failure, else the ping. */
  lastProbe: ProbeSummary | null;
  /** The last outcome of each probe kind. */
  probes: ProbeSummary[];
  /** Why the last check was bad (empty when it was good). */
  reasons: string[];
  /** Epoch ms of the last completed check. */
  checkedAt: number | null;
  /** A restart was requested for this process and is under way (code). */
  restartRequested: string | null;
}

/** Time, injectable: tests run the monitor on virtual time. */
export interface HealthClock {
  /** Epoch ms (fractional allowed). */
  now(): number;
  /** Call `fn` every `ms`; returns a cancel function. */
  every(ms: number, fn: () => void): () => void;
  /** Call `fn` once after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

/** CPU and memory of one process group, summed over its live members. */
export interface GroupUsage {
  pids: number[];
  memoryBytes: number;
  cpuPercent: number;
}

/** Process statistics, sampled from one place (pidusage keeps per-pid history). */
export interface ProcessSampler {
  /** The group led by `leaderPid`; null when the leader and its group are gone. */
  sample(leaderPid: number, intervalMs: number): Promise<GroupUsage | null>;
  isAlive(pid: number): Promise<boolean>;
  close(): void;
}

/** The pool as the monitor uses it (a fake in unit tests). */
export interface ProbeRunner {
  run(task: ProbeTask): Promise<ProbeResult>;
  close(): Promise<void>;
}
