/** Parsed file forms → the normalized `Config`: defaults filled in, paths made absolute. */
import os from 'node:os';
import path from 'node:path';
import { DEFAULTS } from './defaults.js';
import { connectionTypeOf } from './check-server.js';
import type { ManagerEntry, ServerEntry } from './schema.js';
import { detectServerType } from './server-type.js';
import type { BackoffConfig, Config, ManagerConfig, ServerConfig } from './types.js';
import { registerSecrets } from '../redact.js';

export interface ParsedFile {
  manager?: ManagerEntry;
  /** In file order. */
  servers: [name: string, entry: ServerEntry][];
}

/** Absolute file path; `unset` lists unresolved variables of (disabled) servers by name. */
export function normalize(parsed: ParsedFile, file: string, unset: ReadonlyMap<string, string[]>): Config {
  const dir = path.dirname(file);
  return {
    file,
    manager: normalizeManager(parsed.manager ?? {}, dir),
    servers: parsed.servers.map(([name, entry]) => normalizeServer(name, entry, dir, unset.get(name))),
  };
}

/** `~/x` → home; relative → against the config file's directory. */
function resolvePath(dir: string, p: string): string {
  const expanded = p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
  return path.resolve(dir, expanded);
}

function normalizeManager(entry: ManagerEntry, dir: string): ManagerConfig {
  const d = DEFAULTS.manager;
  return {
    ...(entry.state_dir === undefined ? {} : { stateDir: resolvePath(dir, entry.state_dir) }),
    logLevel: entry.log_level ?? d.logLevel,
    ...(entry.http === undefined ? {} : { http: { host: entry.http.host ?? d.httpHost, port: entry.http.port } }),
    shutdownTimeoutMs: entry.shutdown_timeout ?? d.shutdownTimeoutMs,
    logMaxSizeBytes: entry.log_max_size ?? d.logMaxSizeBytes,
    logKeep: entry.log_keep ?? d.logKeep,
    httpSessions: entry.http_sessions ?? d.httpSessions,
    sessionIdleTimeoutMs: entry.session_idle_timeout ?? d.sessionIdleTimeoutMs,
    ...(entry.discovery === undefined ? {} : { discovery: { paths: entry.discovery.paths.map((p) => resolvePath(dir, p)) } }),
    metrics: entry.metrics ?? d.metrics,
    ...(entry.env_file === undefined ? {} : { envFile: resolvePath(dir, entry.env_file) }),
  };
}

/** Per-server health settings beyond the ping interval; absent keys keep the monitor's defaults. */
function healthOf(e: ServerEntry): ServerConfig['health'] {
  const health = {
    ...(e.health_check_timeout === undefined ? {} : { pingTimeoutMs: e.health_check_timeout }),
    ...(e.health_check_slow === undefined ? {} : { slowPingMs: e.health_check_slow }),
    ...(e.reachability_probe === undefined ? {} : { reachability: e.reachability_probe }),
    ...(e.health_command === undefined
      ? {}
      : {
          command: {
            command: e.health_command.command,
            ...(e.health_command.args === undefined ? {} : { args: e.health_command.args }),
            ...(e.health_command.timeout === undefined ? {} : { timeoutMs: e.health_command.timeout }),
          },
        }),
  };
  return Object.keys(health).length > 0 ? health : undefined;
}

function normalizeServer(name: string, e: ServerEntry, dir: string, unset: string[] | undefined): ServerConfig {
  const d = DEFAULTS.server;
  const connectionType = connectionTypeOf(e);
  const optional = {
    ...(e.description === undefined ? {} : { description: e.description }),
    ...(e.command === undefined ? {} : { command: e.command }),
    ...(connectionType === 'stdio' ? { cwd: resolvePath(dir, e.cwd ?? '.') } : {}),
    ...(e.url === undefined ? {} : { url: e.url }),
    ...(e.prefix === undefined ? {} : { prefix: e.prefix }),
    ...(e.max_memory === undefined ? {} : { maxMemoryBytes: e.max_memory }),
    ...(e.max_cpu_percent === undefined ? {} : { maxCpuPercent: e.max_cpu_percent }),
    ...(e.cache === undefined ? {} : { cache: { ttlMs: e.cache.ttl, tools: e.cache.tools } }),
    ...(healthOf(e) === undefined ? {} : { health: healthOf(e) }),
    ...(unset === undefined ? {} : { unsetVariables: unset }),
  };
  // every printer and log line of this process hides these values from now on
  registerSecrets(e.env);
  registerSecrets(e.headers);
  return {
    name,
    ...optional,
    connectionType,
    serverType: e.server_type ?? detectServerType(connectionType, e.command),
    args: e.args ?? [],
    env: e.env ?? {},
    inheritEnv: e.inherit_env ?? d.inheritEnv,
    headers: e.headers ?? {},
    enabled: e.enabled ?? (e.disabled === undefined ? d.enabled : !e.disabled),
    restart: e.restart ?? (e.auto_restart === false ? 'temporary' : d.restart),
    tags: e.tags ?? [],
    replicas: e.replicas ?? d.replicas,
    maxConcurrentRequests: e.max_concurrent_requests ?? d.maxConcurrentRequests,
    queueTimeoutMs: e.queue_timeout ?? d.queueTimeoutMs,
    maxQueuedRequests: e.max_queued_requests ?? d.maxQueuedRequests,
    loadBalancing: e.load_balancing ?? d.loadBalancing,
    sessionAffinity: e.session_affinity ?? d.sessionAffinity,
    retryTools: e.retry_tools ?? [],
    protocol: e.protocol ?? d.protocol,
    clientCapabilities: {
      sampling: e.client_capabilities?.sampling ?? false,
      elicitation: e.client_capabilities?.elicitation ?? false,
      roots: e.client_capabilities?.roots ?? false,
    },
    startupTimeoutMs: e.startup_timeout ?? d.startupTimeoutMs,
    healthCheckIntervalMs: e.health_check_interval ?? d.healthCheckIntervalMs,
    stopGraceMs: e.stop_grace ?? d.stopGraceMs,
    stopTimeoutMs: e.stop_timeout ?? d.stopTimeoutMs,
    maxRestarts: e.max_restarts ?? d.maxRestarts,
    restartWindowMs: e.restart_window ?? d.restartWindowMs,
    healthDownAfter: e.health_down_after ?? d.healthDownAfter,
    healthUpAfter: e.health_up_after ?? d.healthUpAfter,
    criticalGraceMs: e.critical_grace ?? d.criticalGraceMs,
    drainTimeoutMs: e.drain_timeout ?? d.drainTimeoutMs,
    backoff: normalizeBackoff(e.backoff ?? {}),
  };
}

function normalizeBackoff(b: NonNullable<ServerEntry['backoff']>): BackoffConfig {
  const d = DEFAULTS.server.backoff;
  const maxMs = b.max ?? d.maxMs;
  return {
    // an explicit initial > max is an issue (check-server.ts); a default one is capped
    initialMs: b.initial ?? Math.min(d.initialMs, maxMs),
    multiplier: b.multiplier ?? d.multiplier,
    maxMs,
    jitter: b.jitter ?? d.jitter,
    resetAfterMs: b.reset_after ?? d.resetAfterMs,
  };
}
