/**
 * What `status --watch` shows, kept up to date from the control event stream: one row per
 * instance with state, pid, uptime, restarts, CPU, memory, calls/s and its last transition.
 * Plain data in, plain data out; drawing is print.ts's job.
 */
import type { ControlEvent, ControlTransition, StatusSnapshot } from '../control/types.js';

export interface WatchRow {
  server: string;
  instance: string;
  state: string;
  pid: number | null;
  restarts: number;
  /** When the current process started (ms since epoch), or null when none runs. */
  since: number | null;
  cpuPercent: number | null;
  memoryBytes: number | null;
  /** Requests per second to the server over the last stats interval. */
  callsPerSecond: number | null;
  last: { from: string | null; to: string; at: number; reason: string | null } | null;
}

export interface WatchModel {
  manager: StatusSnapshot['manager'] | null;
  rows: WatchRow[];
  /** The last transition seen; redraws are counted by the caller. */
  lastSeq: number;
}

export function createWatchModel(): WatchModel {
  return { manager: null, rows: [], lastSeq: 0 };
}

/** Replace the rows by a status snapshot (detailed), keeping what the snapshot does not carry. */
export function applyStatus(model: WatchModel, status: StatusSnapshot, now: number): void {
  const previous = new Map(model.rows.map((r) => [r.instance, r]));
  const rows: WatchRow[] = [];
  for (const server of status.servers) {
    const instances = server.instances && server.instances.length > 1 ? server.instances : [{ ...server }];
    for (const instance of instances) {
      const before = previous.get(instance.name);
      const uptime = instances.length === 1 ? server.uptimeMs : undefined;
      rows.push({
        server: server.name,
        instance: instance.name,
        state: instance.state,
        pid: instance.pid,
        restarts: instance.restarts,
        since: instance.pid === null ? null : uptime != null ? now - uptime : (before?.since ?? null),
        cpuPercent: before?.cpuPercent ?? null,
        memoryBytes: before?.memoryBytes ?? null,
        callsPerSecond: before?.callsPerSecond ?? null,
        last: before?.last ?? null,
      });
    }
  }
  model.manager = status.manager;
  model.rows = rows;
}

function rowOf(model: WatchModel, t: ControlTransition): WatchRow {
  let row = model.rows.find((r) => r.instance === t.instance);
  if (!row) {
    row = {
      server: t.server,
      instance: t.instance,
      state: t.to,
      pid: null,
      restarts: 0,
      since: null,
      cpuPercent: null,
      memoryBytes: null,
      callsPerSecond: null,
      last: null,
    };
    // a replica or replacement sits after the other rows of its server
    const at = model.rows.map((r) => r.server).lastIndexOf(t.server);
    model.rows.splice(at === -1 ? model.rows.length : at + 1, 0, row);
  }
  return row;
}

interface RequestSample {
  at: number;
  requests: number;
}

/** Fold one stream event into the model. Returns whether the view changed. */
export function applyEvent(model: WatchModel, event: ControlEvent, samples: Map<string, RequestSample>): boolean {
  if (event.type === 'transition') {
    const t = event.transition;
    if (t.seq <= model.lastSeq) return false;
    model.lastSeq = t.seq;
    if (t.to === 'removed') {
      model.rows = model.rows.filter((r) => r.instance !== t.instance);
      return true;
    }
    const row = rowOf(model, t);
    if (t.pid !== row.pid) row.since = t.pid === null ? null : t.at;
    row.state = t.to;
    row.pid = t.pid;
    row.restarts = t.restarts;
    if (t.pid === null) {
      row.cpuPercent = null;
      row.memoryBytes = null;
    }
    row.last = { from: t.from, to: t.to, at: t.at, reason: t.reason };
    return true;
  }
  if (event.type === 'stats') {
    const byInstance = new Map(event.instances.map((s) => [s.instance, s]));
    const rates = new Map<string, number>();
    for (const s of event.instances) {
      if (rates.has(s.server)) continue;
      const before = samples.get(s.server);
      if (before && event.at > before.at) rates.set(s.server, ((s.requests - before.requests) * 1000) / (event.at - before.at));
      samples.set(s.server, { at: event.at, requests: s.requests });
    }
    for (const row of model.rows) {
      const s = byInstance.get(row.instance);
      if (s) {
        row.cpuPercent = s.cpuPercent;
        row.memoryBytes = s.memoryBytes;
      }
      const rate = rates.get(row.server);
      if (rate !== undefined) row.callsPerSecond = Math.max(0, rate);
    }
    return true;
  }
  return false;
}
