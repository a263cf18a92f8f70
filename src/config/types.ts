/**
 * The normalized config every other module consumes. The zod schemas in
 * `schema.ts` parse the snake_case file forms and produce these shapes:
 * durations become milliseconds (`...Ms`), sizes bytes, defaults filled in.
 */
export type ConnectionType = 'stdio' | 'http' | 'sse' | 'websocket' | 'tcp';
export type ServerType = 'python' | 'node' | 'go' | 'rust' | 'shell' | 'binary' | 'remote' | 'unknown';
export type RestartType = 'permanent' | 'transient' | 'temporary';
export type LoadBalancing = 'round_robin' | 'least_loaded';
export type UpstreamProtocol = 'auto' | 'legacy' | 'modern';

/** Client-side features the gateway may offer a server (it answers them through its clients). */
export interface ClientFeatures {
  sampling: boolean;
  elicitation: boolean;
  roots: boolean;
}

export interface ServerConfig {
  name: string;
  description?: string;
  connectionType: ConnectionType;
  serverType: ServerType;
  /** stdio: executable (looked up on PATH, never through a shell). */
  command?: string;
  args: string[];
  /** Extra environment for the child, after interpolation. */
  env: Record<string, string>;
  /** When false, the child gets only a minimal base env (PATH, HOME, ...) plus `env`. */
  inheritEnv: boolean;
  /** Absolute working directory (relative paths resolve against the config file's directory). */
  cwd?: string;
  /** Remote servers. */
  url?: string;
  headers: Record<string, string>;
  enabled: boolean;
  /** `auto_restart: false` is shorthand for `restart: temporary`. */
  restart: RestartType;
  tags: string[];
  prefix?: string;
  replicas: number;
  maxConcurrentRequests: number;
  queueTimeoutMs: number;
  /** Requests that may wait beyond those in flight; past it a call fails as busy. */
  maxQueuedRequests: number;
  loadBalancing: LoadBalancing;
  sessionAffinity: boolean;
  retryTools: string[];
  /** The protocol era spoken to this server (`auto`: probed once, the verdict kept in the state dir). */
  protocol: UpstreamProtocol;
  /** What the gateway tells this server it can serve; unset features are not offered. */
  clientCapabilities: ClientFeatures;
  startupTimeoutMs: number;
  /** Ping interval. */
  healthCheckIntervalMs: number;
  /** Stop ladder: after stdin close, wait this long before SIGTERM to the group. */
  stopGraceMs: number;
  /** Stop ladder: after SIGTERM, wait this long before SIGKILL to the group. */
  stopTimeoutMs: number;
  maxRestarts: number;
  restartWindowMs: number;
  /** Consecutive bad health results before one tier down. */
  healthDownAfter: number;
  /** Consecutive good health results before one tier up. */
  healthUpAfter: number;
  /** Time in `critical` before the restart decision. */
  criticalGraceMs: number;
  /** How long a retiring instance may finish its calls in flight before it is stopped. */
  drainTimeoutMs: number;
  backoff: BackoffConfig;
  maxMemoryBytes?: number;
  /** Health settings beyond the ping interval (defaults in src/health/defaults.ts). */
  health?: {
    pingTimeoutMs?: number;
    slowPingMs?: number;
    reachability?: boolean;
    command?: { command: string; args?: string[]; timeoutMs?: number };
  };
  maxCpuPercent?: number;
  /** Tool-result cache (gateway). */
  cache?: CacheConfig;
  /**
   * Variables (`GITHUB_TOKEN`, `input:token`) that were unset when the file was loaded. Only
   * disabled servers can have them (for enabled ones it is a config error); such a server
   * must not be started until the config is reloaded with them set.
   */
  unsetVariables?: string[];
}

export interface CacheConfig {
  ttlMs: number;
  /** Names of the server's tools whose results are cached. */
  tools: string[];
}

export interface BackoffConfig {
  initialMs: number;
  multiplier: number;
  maxMs: number;
  /** 0.2 means ±20 %. */
  jitter: number;
  /** Uptime after which the backoff resets to `initialMs`. */
  resetAfterMs: number;
}

export interface ManagerConfig {
  /** Directory for control socket, lock, logs, persisted state; undefined → resolved by the CLI. */
  stateDir?: string;
  logLevel: string;
  http?: { host: string; port: number };
  shutdownTimeoutMs: number;
  /** Rotate a log file (manager's or a server's) once it reaches this size. */
  logMaxSizeBytes: number;
  /** Log files kept per log, the current one included. */
  logKeep: number;
  /** Legacy-era HTTP sessions at once; at the cap the least recently used idle one is evicted. */
  httpSessions: number;
  /** An HTTP session without requests for this long is closed. */
  sessionIdleTimeoutMs: number;
  /** Extra places to look for config files (absolute); used by discovery. */
  discovery?: { paths: string[] };
  /** Prometheus metrics at /metrics on the gateway's HTTP listener (recorded only when it listens). */
  metrics: boolean;
  /** `manager.env_file` (absolute): `KEY=value` lines loaded before `${VAR}` expansion. */
  envFile?: string;
}

export interface Config {
  /** Absolute path of the file this config came from. */
  file: string;
  manager: ManagerConfig;
  /** In file order (start order). */
  servers: ServerConfig[];
}
