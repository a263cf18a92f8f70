/**
 * What the live view shows of the running tree, as plain data: one row per instance
 * (state, pid, restarts, uptime start, tools) grouped by configured server.
 */
import { publicState } from '../../machines/index.js';
import type { ServerSnapshot } from '../../machines/server.machine.js';
import { serverOfInstance } from '../../machines/supervisor.machine.js';
import type { Feed } from '../supervisor/feed.js';

export interface InstanceRow {
  instance: string;
  server: string;
  state: string;
  /** The machine's full state value, for highlighting the chart. */
  value: unknown;
  pid: number | null;
  restarts: number;
  /** ms since epoch while running, else null. */
  startedAt: number | null;
  tools: number;
  /** `CODE: message` of the last failure, if any. */
  error: string | null;
}

export interface ConfiguredServer {
  name: string;
  transport: string;
  enabled: boolean;
  replicas: number;
}

export interface TreeView {
  supervisor: unknown;
  servers: (ConfiguredServer & { instances: InstanceRow[] })[];
  /** Instances of servers no longer configured (retiring after a removal). */
  others: InstanceRow[];
}

export function rowOf(instance: string, snapshot: ServerSnapshot | undefined): InstanceRow | null {
  if (snapshot === undefined) return null;
  const ctx = snapshot.context;
  const running = snapshot.hasTag('running');
  return {
    instance,
    server: serverOfInstance(instance),
    state: snapshot.status === 'done' ? 'removed' : publicState(snapshot),
    value: snapshot.value,
    pid: ctx.pid,
    restarts: ctx.restarts,
    startedAt: running ? ctx.startedAt : null,
    tools: ctx.tools.length,
    error: ctx.lastError ? `${ctx.lastError.code}: ${ctx.lastError.message}` : null,
  };
}

export function treeOf(feed: Feed, configured: readonly ConfiguredServer[]): TreeView {
  const rows = new Map<string, InstanceRow[]>();
  for (const instance of feed.instances()) {
    const row = rowOf(instance, feed.snapshotOf(instance));
    if (row === null) continue;
    const list = rows.get(row.server) ?? [];
    list.push(row);
    rows.set(row.server, list);
  }
  const names = new Set(configured.map((s) => s.name));
  return {
    supervisor: feed.supervisorState(),
    servers: configured.map((server) => ({ ...server, instances: rows.get(server.name) ?? [] })),
    others: [...rows.entries()].filter(([name]) => !names.has(name)).flatMap(([, list]) => list),
  };
}
