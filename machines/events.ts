/**
 * Events exchanged by the machines. Plain data only: they cross actor boundaries
 * and may be persisted.
 */

/** How a launch or a running process failed, as data. */
export interface Failure {
  code: string;
  message: string;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string[];
  /** When the process ended (ms since epoch), when the launcher knows. */
  at?: number;
}

/** What a successful launch reports. */
export interface LaunchResult {
  pid: number | null;
  tools: string[];
  /** Wall-clock start, ms since epoch, from the launcher. */
  startedAt: number;
}

export type ServerEvent =
  | { type: 'server.start' }
  | { type: 'server.stop' }
  | { type: 'server.restart' }
  /** Stop, then end the actor (config removal). */
  | { type: 'server.remove' }
  /** Leave routing, let calls in flight finish (bounded), stop, end (replaced or removed). */
  | { type: 'server.retire' }
  /** `at`: when the process ended, ms since epoch (stamped by the exit watch). */
  | { type: 'server.exited'; exitCode: number | null; signal: string | null; stderrTail: string[]; at?: number }
  /** The backend's catalog changed (list_changed); the launcher re-read it. */
  | { type: 'server.catalog'; tools: string[] }
  | { type: 'health.good' }
  | { type: 'health.bad'; reason: string }
  /** The monitor decided: restart now (resource limit exceeded, wedged event loop). Counted. */
  | { type: 'health.restart'; code: string; reason: string }
  /** Internal: one restart left the intensity window. */
  | { type: 'intensity.decay' };

/** What a server instance tells its supervisor. */
export type InstanceReport = { type: 'instance.ready'; instance: string } | { type: 'instance.failed'; instance: string; reason: string };

export type SupervisorEvent =
  | { type: 'server.start'; name: string }
  | { type: 'server.stop'; name: string }
  | { type: 'server.restart'; name: string }
  | { type: 'health.good'; instance: string }
  | { type: 'health.bad'; instance: string; reason: string }
  | { type: 'health.restart'; instance: string; code: string; reason: string }
  /** `servers`: the whole new config; `replaced`: the servers whose spec changed (computed by the config diff). */
  | { type: 'config.changed'; servers: ServerSpec[]; replaced: string[] }
  | { type: 'manager.shutdown' };

/**
 * What the supervisor needs to know of a server to run it. The full server config
 * travels inside as `config` (opaque to the machines).
 */
export interface ServerSpec {
  name: string;
  enabled: boolean;
  replicas: number;
  restart: 'permanent' | 'transient' | 'temporary';
  backoff: {
    initialMs: number;
    multiplier: number;
    maxMs: number;
    jitter: number;
    resetAfterMs: number;
  };
  maxRestarts: number;
  restartWindowMs: number;
  startupTimeoutMs: number;
  stopGraceMs: number;
  stopTimeoutMs: number;
  /** Hysteresis: down after N bad results, up after M good ones; restart decision after the grace. */
  health: { downAfter: number; upAfter: number; criticalGraceMs: number };
  /** How long a retiring instance may finish its calls in flight before it is stopped. */
  drainTimeoutMs: number;
  /**
   * How the server is launched, opaque to the machines: compared on config changes so
   * that an edited command, env or URL restarts the server.
   */
  launch?: unknown;
}
