/**
 * The one config diff: what changed between two configs, server by server. Used by every
 * reload (the config watch, SIGHUP, `reload`). Servers are compared as normalized
 * `ServerConfig`s (defaults filled in, durations in ms), deeply, ignoring key order:
 * `timeout: 30` and `timeout: "30s"` are the same config. Of the changed servers,
 * `replaced` are those whose launch spec differs (the supervisor starts new instances for
 * them); a change elsewhere (prefix, cache, health settings, description) applies in place.
 */
import type { ServerSpec } from '../../machines/events.js';
import type { Config, ServerConfig } from '../config/types.js';

export interface ConfigDiff {
  /** In the order of `after`. */
  added: string[];
  /** In the order of `before`. */
  removed: string[];
  /** In the order of `after`. */
  changed: string[];
  /** The changed servers whose spec differs: replaced by new instances. In the order of `after`. */
  replaced: string[];
  unchanged: string[];
  /** The `manager:` section differs (log level, http, state dir: may need a manager restart). */
  managerChanged: boolean;
}

export function diffConfigs(before: Config, after: Config, specOf: (config: ServerConfig) => ServerSpec): ConfigDiff {
  const old = new Map(before.servers.map((s) => [s.name, s]));
  const now = new Map(after.servers.map((s) => [s.name, s]));
  const diff: ConfigDiff = {
    added: [],
    removed: [],
    changed: [],
    replaced: [],
    unchanged: [],
    managerChanged: !deepEqual(before.manager, after.manager),
  };
  for (const server of after.servers) {
    const previous = old.get(server.name);
    if (!previous) diff.added.push(server.name);
    else if (deepEqual(previous, server)) diff.unchanged.push(server.name);
    else {
      diff.changed.push(server.name);
      if (!deepEqual(specOf(previous), specOf(server))) diff.replaced.push(server.name);
    }
  }
  for (const server of before.servers) if (!now.has(server.name)) diff.removed.push(server.name);
  return diff;
}

/**
 * Structural equality of plain data; object key order and `undefined`-valued keys do not
 * count. Iterative (an explicit stack), so deep data cannot overflow the call stack.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop()!;
    if (Object.is(x, y)) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return false;
      x.forEach((item, i) => stack.push([item, y[i]]));
      continue;
    }
    const rx = x as Record<string, unknown>;
    const ry = y as Record<string, unknown>;
    for (const key of new Set([...Object.keys(rx), ...Object.keys(ry)])) stack.push([rx[key], ry[key]]);
  }
  return true;
}
