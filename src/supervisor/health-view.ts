import type { HealthEntry, ServerStatus } from '../control/types.js';
import type { InstanceHealth } from '../health/types.js';

/** One server's `health` entry: its state from the supervisor, its measurements from the monitor. */
export function healthEntry(status: ServerStatus, instances: InstanceHealth[]): HealthEntry {
  const first = instances[0];
  const entry: HealthEntry = {
    name: status.name,
    state: status.state,
    restarts: status.restarts,
    pid: status.pid,
    latencyMs: first?.latencyMs ?? null,
    cpuPercent: first?.cpuPercent ?? null,
    memoryBytes: first?.memoryBytes ?? null,
    limits: first?.limits ?? null,
    trend: first?.trend ?? null,
    lastProbe: first?.lastProbe ?? null,
    probes: first?.probes ?? [],
    reasons: first?.reasons ?? [],
    checkedAt: first?.checkedAt ?? null,
  };
  if (instances.length > 1) entry.instances = instances;
  return entry;
}
