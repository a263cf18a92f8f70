/** Resolve one server's health settings: config, per-server overrides, defaults. */
import type { ServerConfig } from '../config/types.js';
import type { ProbeTask } from '../probes/types.js';
import { HEALTH_DEFAULTS } from './defaults.js';
import type { HealthOverrides } from './types.js';

export interface HealthSettings {
  intervalMs: number;
  pingTimeoutMs: number;
  slowPingMs: number;
  probeTimeoutMs: number;
  wedgedAfterTimeouts: number;
  cpuLimitSamples: number;
  memoryWarnFraction: number;
  maxMemoryBytes: number | null;
  maxCpuPercent: number | null;
  /** Pool probes of every check (reachability, command). */
  probes: ProbeTask[];
}

/** Shortest interval the monitor accepts (a config of 0 would spin). */
const MIN_INTERVAL_MS = 50;

const positive = (value: number | undefined, fallback: number) =>
  value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;

export function resolveSettings(config: ServerConfig, overrides: HealthOverrides = {}): HealthSettings {
  const d = HEALTH_DEFAULTS;
  const intervalMs = Math.max(MIN_INTERVAL_MS, positive(config.healthCheckIntervalMs, 30_000));
  // a check ends before the next one starts
  const pingTimeoutMs = Math.min(positive(overrides.pingTimeoutMs, d.pingTimeoutMs), intervalMs);
  const probeTimeoutMs = Math.min(positive(overrides.probeTimeoutMs, d.probeTimeoutMs), intervalMs);
  const probes: ProbeTask[] = [];
  if (overrides.reachability !== false) {
    const task = reachabilityTask(config, probeTimeoutMs);
    if (task) probes.push(task);
  }
  if (overrides.command) {
    probes.push({
      kind: 'command',
      command: overrides.command.command,
      args: overrides.command.args ?? [],
      timeoutMs: Math.min(positive(overrides.command.timeoutMs, probeTimeoutMs), intervalMs),
      ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      env: config.env,
    });
  }
  return {
    intervalMs,
    pingTimeoutMs,
    slowPingMs: positive(overrides.slowPingMs, d.slowPingMs),
    probeTimeoutMs,
    wedgedAfterTimeouts: Math.max(1, Math.round(positive(overrides.wedgedAfterTimeouts, d.wedgedAfterTimeouts))),
    cpuLimitSamples: Math.max(1, Math.round(positive(overrides.cpuLimitSamples, d.cpuLimitSamples))),
    memoryWarnFraction: positive(overrides.memoryWarnFraction, d.memoryWarnFraction),
    maxMemoryBytes: config.maxMemoryBytes !== undefined && config.maxMemoryBytes > 0 ? config.maxMemoryBytes : null,
    maxCpuPercent: config.maxCpuPercent !== undefined && config.maxCpuPercent > 0 ? config.maxCpuPercent : null,
    probes,
  };
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

/**
 * How to see whether a remote server is reachable: HTTP for http/sse (status, content
 * type), a TCP connect for websocket and tcp. None for stdio.
 */
export function reachabilityTask(config: ServerConfig, timeoutMs: number): ProbeTask | undefined {
  if (config.connectionType === 'stdio' || config.url === undefined) return undefined;
  if (config.connectionType === 'http' || config.connectionType === 'sse') {
    return { kind: 'http', url: config.url, headers: config.headers, timeoutMs };
  }
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    // the probe reports the bad url as its failure
    return { kind: 'http', url: config.url, timeoutMs };
  }
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol];
  return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port: port ?? 0, timeoutMs };
}
