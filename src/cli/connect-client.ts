/**
 * `connect` / `disconnect`: make mcp-manager an MCP client's one server, and undo it.
 *
 * The client's file is edited in its own shape (Claude Desktop and Cursor `mcpServers`,
 * Claude Code `mcpServers` in `~/.claude.json` or a project's `.mcp.json`, VS Code `servers`
 * with `type`), keeping its indentation and every other key. The file as it was is kept in
 * the state dir, with a record of what was written; `disconnect` puts it back byte for byte,
 * or, when the client has changed the file since, puts back only its server list.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { editJson } from '../config/edit.js';
import { isRecord } from '../config/path.js';
import { writeFileAtomic } from '../config/write.js';
import { clientConfigFile, type Client } from '../discovery/clients.js';
import { ManagerError, errorMessage } from '../errors.js';
import { ensureStateDir } from '../state/paths.js';
import type { FoundServer } from './import-servers.js';

/** The name mcp-manager has in a client's server list. */
export const OUR_NAME = 'mcp-manager';

export type ConnectTransport = 'stdio' | 'http';

/** How the client reaches us: a command it runs, or the gateway's URL. */
export type Endpoint = { transport: 'stdio'; command: string; args: string[] } | { transport: 'http'; url: string };

export const CLIENT_LABELS: Record<Client, string> = {
  'claude-desktop': 'Claude Desktop',
  'claude-code': 'Claude Code',
  vscode: 'VS Code',
  cursor: 'Cursor',
};

/** Our entry in the client's own shape (as each client's documentation shows it). */
export function clientEntry(client: Client, endpoint: Endpoint): Record<string, unknown> {
  if (endpoint.transport === 'http') {
    if (client === 'claude-desktop') {
      throw new ManagerError(
        'USAGE',
        'Claude Desktop reads only stdio servers from claude_desktop_config.json (remote servers are added as connectors in its settings); use --stdio',
      );
    }
    // Cursor tells SSE from Streamable HTTP itself and documents `url` alone
    return client === 'cursor' ? { url: endpoint.url } : { type: 'http', url: endpoint.url };
  }
  const run = { command: endpoint.command, args: endpoint.args };
  return client === 'claude-desktop' || client === 'cursor' ? run : { type: 'stdio', ...run };
}

/** The file `connect CLIENT` edits, and the key holding its servers. */
export function connectTarget(
  client: Client,
  options: { env: NodeJS.ProcessEnv; cwd: string; platform: NodeJS.Platform; project: boolean },
): { file: string; key: 'mcpServers' | 'servers' } {
  if (options.project && client !== 'claude-code') throw new ManagerError('USAGE', '--project is for claude-code (its .mcp.json)');
  const { file, key } = clientConfigFile(client, options.env, { platform: options.platform, cwd: options.cwd, project: options.project });
  return { file: options.project ? path.resolve(options.cwd, file) : file, key };
}

const RecordSchema = z.object({
  client: z.string(),
  file: z.string(),
  key: z.enum(['mcpServers', 'servers']),
  /** The file existed before the first `connect`; its bytes are in `backup`. */
  existed: z.boolean(),
  backup: z.string().nullable(),
  /** sha256 of the text `connect` wrote last. */
  written: z.string(),
  transport: z.enum(['stdio', 'http']),
  /** Servers `--move` took into our config. */
  moved: z.array(z.string()),
  at: z.string(),
});
export type ConnectRecord = z.infer<typeof RecordSchema>;

/** Where the record and the backup of one client's file live in the state dir. */
export function recordPaths(stateDir: string, client: Client, project: boolean): { record: string; backup: string } {
  const base = path.join(stateDir, 'connect', `${client}${project ? '-project' : ''}`);
  return { record: `${base}.json`, backup: `${base}.backup` };
}

export function readRecord(file: string): ConnectRecord | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ManagerError('CONTROL_FAILED', `cannot read ${file}: ${errorMessage(error)}`);
  }
  const parsed = RecordSchema.safeParse(safeJson(text));
  if (!parsed.success)
    throw new ManagerError(
      'CONTROL_FAILED',
      `${file} is not a connect record (${parsed.error.issues[0]?.message ?? 'unreadable'}); remove it to start afresh`,
    );
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Write the client's file; through a symlink (dotfiles kept elsewhere), the file it points to. */
function writeClientFile(file: string, text: string, mode?: number): void {
  let target = file;
  try {
    target = realpathSync(file);
  } catch {
    // a new file
  }
  writeFileAtomic(target, text, mode);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The client's file as text (`null`: none yet), checked to be a JSON object. */
export function readClientFile(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ManagerError('CONFIG_INVALID', `cannot read ${file}: ${errorMessage(error)}`, { data: { file } });
  }
  if (text.trim() === '') return text;
  const value = safeJson(text);
  if (!isRecord(value)) {
    throw new ManagerError(
      'CONFIG_INVALID',
      `${file} is not a JSON object (comments are not supported here); fix it, or move it aside and run connect again`,
      {
        data: { file },
      },
    );
  }
  return text;
}

/** The servers in the client's file other than mcp-manager, as `import` reads them. */
export function otherServers(text: string | null, file: string, key: string, client: Client): FoundServer[] {
  const value = text === null || text.trim() === '' ? {} : safeJson(text);
  const servers = isRecord(value) ? value[key] : undefined;
  if (!isRecord(servers)) return [];
  return Object.entries(servers)
    .filter((e): e is [string, Record<string, unknown>] => e[0] !== OUR_NAME && isRecord(e[1]))
    .map(([name, entry]) => ({ name, entry, source: { source: client, file } }));
}

/**
 * The client's servers `connect` would replace: those in its file now, and, after an earlier
 * connect, those of the file as it was (kept in the backup), so `--move` can still take them.
 */
export function serversToReplace(plan: { client: Client; file: string; key: string; stateDir: string; project: boolean }): FoundServer[] {
  const now = otherServers(readClientFile(plan.file), plan.file, plan.key, plan.client);
  const record = readRecord(recordPaths(plan.stateDir, plan.client, plan.project).record);
  if (!record || record.file !== plan.file || record.backup === null) return now;
  const before = otherServers(readFileSync(record.backup, 'utf8'), plan.file, plan.key, plan.client);
  return [...now, ...before.filter((b) => !now.some((n) => n.name === b.name))];
}

export interface ConnectPlan {
  client: Client;
  file: string;
  key: 'mcpServers' | 'servers';
  stateDir: string;
  project: boolean;
  endpoint: Endpoint;
}

export interface ConnectOutcome {
  file: string;
  entry: Record<string, unknown>;
  backup: string | null;
  /** Servers the client had that mcp-manager replaces (kept in the backup). */
  replaced: string[];
}

/** Write our entry as the client's one server; the first time, keep the file as it was. */
export function writeConnection(plan: ConnectPlan, moved: readonly string[]): ConnectOutcome {
  const paths = recordPaths(plan.stateDir, plan.client, plan.project);
  const previous = readRecord(paths.record);
  const before = readClientFile(plan.file);
  const entry = clientEntry(plan.client, plan.endpoint);
  const replaced = otherServers(before, plan.file, plan.key, plan.client).map((s) => s.name);
  const text = editJson(before ?? '', (value) => {
    value[plan.key] = { [OUR_NAME]: entry };
  });

  ensureStateDir(plan.stateDir);
  mkdirSync(path.dirname(paths.record), { recursive: true, mode: 0o700 });
  let existed = before !== null;
  let backup: string | null = null;
  if (previous && previous.file === plan.file) {
    // connected before: the backup of the file as it was first stays
    existed = previous.existed;
    backup = previous.backup;
  } else if (before !== null) {
    writeFileAtomic(paths.backup, before, statSync(plan.file).mode & 0o777);
    backup = paths.backup;
  }
  mkdirSync(path.dirname(plan.file), { recursive: true });
  writeClientFile(plan.file, text, 0o600);
  const record: ConnectRecord = {
    client: plan.client,
    file: plan.file,
    key: plan.key,
    existed,
    backup,
    written: sha256(text),
    transport: plan.endpoint.transport,
    moved: [...new Set([...(previous?.moved ?? []), ...moved])],
    at: new Date().toISOString(),
  };
  writeFileAtomic(paths.record, `${JSON.stringify(record, null, 2)}\n`, 0o600);
  return { file: plan.file, entry, backup, replaced };
}

export interface DisconnectOutcome {
  file: string;
  /** `restored`: the file is byte for byte as before connect; `removed`: there was none before; `servers-restored`: the client changed the file since, so only its server list was put back; `left`: mcp-manager was no longer in it. */
  action: 'restored' | 'removed' | 'servers-restored' | 'left';
  /** Servers `connect --move` took into our config (they stay there). */
  moved: string[];
}

/** Undo `connect`: the file as it was, then forget the record and the backup. */
export function undoConnection(stateDir: string, client: Client, project: boolean): DisconnectOutcome {
  const paths = recordPaths(stateDir, client, project);
  const record = readRecord(paths.record);
  if (!record) {
    throw new ManagerError(
      'USAGE',
      `${CLIENT_LABELS[client]} is not connected${project ? ' in this project' : ''} (no record in ${path.dirname(paths.record)})`,
    );
  }
  const original = record.backup === null ? null : readFileSync(record.backup, 'utf8');
  let current: string | null = null;
  try {
    current = readFileSync(record.file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ManagerError('CONFIG_INVALID', `cannot read ${record.file}: ${errorMessage(error)}`);
  }

  let action: DisconnectOutcome['action'];
  if (current !== null && sha256(current) === record.written) {
    if (original === null) {
      rmSync(record.file);
      action = 'removed';
    } else {
      writeClientFile(record.file, original, statSync(record.backup!).mode & 0o777);
      action = 'restored';
    }
  } else if (current !== null && hasOurEntry(current, record.key)) {
    const before: unknown = original === null || original.trim() === '' ? {} : safeJson(original);
    const servers = isRecord(before) ? before[record.key] : undefined;
    writeClientFile(
      record.file,
      editJson(current, (value) => {
        if (servers === undefined) delete value[record.key];
        else value[record.key] = servers;
      }),
    );
    action = 'servers-restored';
  } else {
    action = 'left';
  }
  rmSync(paths.record, { force: true });
  if (record.backup !== null) rmSync(record.backup, { force: true });
  return { file: record.file, action, moved: record.moved };
}

function hasOurEntry(text: string, key: string): boolean {
  const value = safeJson(text);
  return isRecord(value) && isRecord(value[key]) && OUR_NAME in value[key];
}
