/**
 * What changed between two configs, server by server: the supervisor restarts only the
 * `changed` servers, starts `added` ones and stops `removed` ones. Servers are compared as
 * normalized `ServerConfig`s (defaults filled in, durations in ms), deeply, ignoring key
 * order: `timeout: 30` and `timeout: "30s"` are the same config.
 */
import type { Config, ServerConfig } from '../config/types.js';

export interface ConfigDiff {
  /** In the order of `after`. */
  added: string[];
  /** In the order of `before`. */
  removed: string[];
  /** In the order of `after`. */
  changed: string[];
  unchanged: string[];
  /** The `manager:` section differs (log level, http, state dir: may need a manager restart). */
  managerChanged: boolean;
}

export function diffConfigs(before: Config, after: Config): ConfigDiff {
  const old = new Map(before.servers.map((s) => [s.name, s]));
  const now = new Map(after.servers.map((s) => [s.name, s]));
  const diff: ConfigDiff = { added: [], removed: [], changed: [], unchanged: [], managerChanged: !deepEqual(before.manager, after.manager) };
  for (const server of after.servers) {
    const previous = old.get(server.name);
    if (!previous) diff.added.push(server.name);
    else if (sameServer(previous, server)) diff.unchanged.push(server.name);
    else diff.changed.push(server.name);
  }
  for (const server of before.servers) if (!now.has(server.name)) diff.removed.push(server.name);
  return diff;
}

export function sameServer(a: ServerConfig, b: ServerConfig): boolean {
  return deepEqual(a, b);
}

/** Structural equality of plain data; object key order and `undefined`-valued keys do not count. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) if (!deepEqual(ra[key], rb[key])) return false;
  return true;
}
