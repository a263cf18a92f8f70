/** Checks across the keys of one server entry (run even when single keys failed). */
import type { z } from 'zod';
import type { ConnectionType, RestartType } from './types.js';

/** The entry as parsed; after a failed key a field may hold its raw input, hence the guards. */
export interface EntryFields {
  command?: string;
  url?: string;
  connection_type?: ConnectionType;
  type?: ConnectionType;
  headers?: Record<string, string>;
  enabled?: boolean;
  disabled?: boolean;
  auto_restart?: boolean;
  restart?: RestartType;
  backoff?: { initial?: number; max?: number };
}

type Ctx = Pick<z.core.$RefinementCtx, 'addIssue'>;

const REMOTE_PROTOCOLS: Record<Exclude<ConnectionType, 'stdio'>, readonly string[]> = {
  http: ['http:', 'https:'],
  sse: ['http:', 'https:'],
  websocket: ['ws:', 'wss:'],
  tcp: ['tcp:'],
};

/** `connection_type`, else `type`, else http when a url is given, else stdio. */
export function connectionTypeOf(entry: EntryFields): ConnectionType {
  return entry.connection_type ?? entry.type ?? (entry.url === undefined ? 'stdio' : 'http');
}

export function checkServerEntry(entry: EntryFields, ctx: Ctx): void {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return;
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: path ? [path] : [], message });
  if (entry.connection_type !== undefined && entry.type !== undefined && entry.connection_type !== entry.type) {
    issue('type', `conflicts with connection_type "${entry.connection_type}"`);
  }
  if (entry.enabled !== undefined && entry.disabled !== undefined && entry.enabled === entry.disabled) {
    issue('disabled', `conflicts with enabled: ${String(entry.enabled)}`);
  }
  if (entry.auto_restart === false && entry.restart !== undefined && entry.restart !== 'temporary') {
    issue('auto_restart', `auto_restart: false means restart: temporary, which conflicts with restart: ${entry.restart}`);
  }
  const { initial, max } = entry.backoff ?? {};
  if (typeof initial === 'number' && typeof max === 'number' && initial > max) {
    ctx.addIssue({ code: 'custom', path: ['backoff', 'initial'], message: 'must not exceed backoff.max' });
  }
  checkTransport(entry, issue);
}

function checkTransport(entry: EntryFields, issue: (path: string, message: string) => void): void {
  const type = connectionTypeOf(entry);
  if (type === 'stdio') {
    if (entry.command === undefined) issue('', 'missing "command" (required for a stdio server)');
    if (entry.url !== undefined) issue('url', 'not used by a stdio server (set connection_type to http, sse, websocket or tcp)');
    if (entry.headers !== undefined) issue('headers', 'not used by a stdio server');
    return;
  }
  const protocols = REMOTE_PROTOCOLS[type];
  if (protocols === undefined) return; // an invalid connection_type, reported on its own
  if (entry.command !== undefined)
    issue('command', `not used by a remote server (connection_type ${type}); remote servers are not spawned`);
  if (entry.url === undefined) issue('', `missing "url" (required for connection_type ${type})`);
  else if (typeof entry.url === 'string' && URL.canParse(entry.url) && !protocols.includes(new URL(entry.url).protocol)) {
    issue('url', `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} for connection_type ${type}`);
  }
}
