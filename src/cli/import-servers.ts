/**
 * Take servers that other MCP clients declare into our config: read their entries as
 * written (placeholders kept), turn them into our keys, rename on a name clash, move
 * secret-looking env values to the env file, and say what was skipped and why.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { addServer, serverNamesIn, type ConfigText, type ServerEntryData } from '../config/edit.js';
import { isRecord } from '../config/path.js';
import { RESERVED_SERVER_NAMES, serverShape } from '../config/schema.js';
import { extractSecrets, type SecretMove } from '../config/secrets.js';
import { parseConfigText } from '../config/load.js';
import { CLIENTS, clientConfigFile, type Client } from '../discovery/clients.js';
import { errorMessage } from '../errors.js';

export interface SourceFile {
  /** `claude-desktop`, …, or `file` for a given path. */
  source: Client | 'project' | 'file';
  file: string;
}

export interface FoundServer {
  name: string;
  source: SourceFile;
  entry: Record<string, unknown>;
}

export interface Skipped {
  name: string;
  file: string;
  reason: string;
}

export interface ImportPlan {
  imported: { name: string; from: string; file: string; renamedFrom?: string }[];
  skipped: Skipped[];
  /** Keys dropped from entries (not part of our config), per server. */
  dropped: { name: string; keys: string[] }[];
  secrets: SecretMove[];
  values: Record<string, string>;
  text: string;
}

/** The files `import` reads: one client's, a given file, or every client's and the project's. */
export function importSources(
  from: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
  platform: NodeJS.Platform = process.platform,
): SourceFile[] {
  if (from !== undefined && (CLIENTS as readonly string[]).includes(from)) {
    const client = from as Client;
    const files = [{ source: client, file: clientConfigFile(client, env, { platform, cwd }).file }];
    if (client === 'claude-code') files.push({ source: client, file: path.join(cwd, '.mcp.json') });
    if (client === 'vscode') files.push({ source: client, file: path.join(cwd, '.vscode', 'mcp.json') });
    if (client === 'cursor') files.push({ source: client, file: path.join(cwd, '.cursor', 'mcp.json') });
    return files;
  }
  if (from !== undefined) return [{ source: 'file', file: path.resolve(cwd, from) }];
  return [
    ...CLIENTS.map((client) => ({ source: client, file: clientConfigFile(client, env, { platform, cwd }).file })),
    ...['.mcp.json', path.join('.vscode', 'mcp.json'), path.join('.cursor', 'mcp.json')].map((f) => ({
      source: 'project' as const,
      file: path.join(cwd, f),
    })),
  ];
}

/** Entries as written in each file; missing files are skipped silently unless given explicitly. */
export function readSources(sources: readonly SourceFile[], cwd: string): { found: FoundServer[]; skipped: Skipped[] } {
  const found: FoundServer[] = [];
  const skipped: Skipped[] = [];
  for (const source of sources) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(source.file, 'utf8'));
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      if (!missing || source.source === 'file')
        skipped.push({ name: '*', file: source.file, reason: missing ? 'file not found' : `cannot read: ${errorMessage(error)}` });
      continue;
    }
    if (!isRecord(value)) continue;
    const maps: unknown[] = [value.mcpServers, value.servers];
    // Claude Code's local scope: the servers of this project inside ~/.claude.json
    if (isRecord(value.projects) && isRecord(value.projects[cwd])) maps.push(value.projects[cwd].mcpServers);
    for (const map of maps) {
      if (!isRecord(map)) continue;
      for (const [name, entry] of Object.entries(map)) {
        if (isRecord(entry)) found.push({ name, source, entry });
        else skipped.push({ name, file: source.file, reason: 'not a mapping of server settings' });
      }
    }
  }
  return { found, skipped };
}

const OUR_KEYS = new Set(Object.keys(serverShape));
const TYPES: Record<string, string> = {
  stdio: 'stdio',
  http: 'http',
  'streamable-http': 'http',
  streamable_http: 'http',
  streamableHttp: 'http',
  sse: 'sse',
  ws: 'websocket',
  websocket: 'websocket',
  tcp: 'tcp',
};

/** Our entry for a client's, or the reason it cannot be taken. */
export function convertEntry(found: FoundServer): { entry: ServerEntryData; dropped: string[] } | { skip: string } {
  const raw = found.entry;
  if (JSON.stringify(raw).includes('${input:'))
    return { skip: 'uses a VS Code input prompt (${input:…}); set the value through an environment variable instead' };
  if (typeof raw.envFile === 'string')
    return { skip: 'uses a VS Code envFile; add it with "mcp-manager add" and manager.env_file instead' };
  if (isOurs(raw)) return { skip: 'is mcp-manager itself (written by "mcp-manager connect")' };
  const entry: ServerEntryData = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'type') {
      const type = typeof value === 'string' ? TYPES[value] : undefined;
      if (type === undefined) return { skip: `unknown transport type ${JSON.stringify(value)}` };
      if (type !== 'stdio' || raw.url !== undefined) entry.connection_type = type;
    } else if (key === 'disabled') {
      if (value === true) entry.enabled = false;
    } else if (OUR_KEYS.has(key)) {
      entry[key] = value;
    } else {
      dropped.push(key);
    }
  }
  if (entry.url !== undefined && entry.connection_type === undefined) entry.connection_type = 'http';
  return { entry, dropped };
}

function isOurs(raw: Record<string, unknown>): boolean {
  const args = Array.isArray(raw.args) ? raw.args.map(String) : [];
  return (
    args.includes('--stdio') &&
    args.includes('start') &&
    [typeof raw.command === 'string' ? raw.command : '', ...args].some(
      (a) => a.includes('mcp-manager') || a.endsWith(path.join('cli', 'main.js')),
    )
  );
}

const sameRun = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  JSON.stringify([a.command, a.args ?? [], a.url]) === JSON.stringify([b.command, b.args ?? [], b.url]);

const SHORT: Record<string, string> = {
  'claude-desktop': 'desktop',
  'claude-code': 'code',
  vscode: 'vscode',
  cursor: 'cursor',
  project: 'project',
  file: 'imported',
};

/**
 * Add `found` servers (all, or those named) to the config text. Invalid entries are found by
 * checking the result as a whole config and are skipped with the problem as the reason.
 */
export function planImport(
  config: ConfigText,
  file: string,
  found: readonly FoundServer[],
  options: {
    names?: readonly string[];
    env: NodeJS.ProcessEnv;
    taken: Map<string, string>;
    existing?: Map<string, Record<string, unknown>>;
  },
): ImportPlan {
  const plan: ImportPlan = { imported: [], skipped: [], dropped: [], secrets: [], values: {}, text: config.text };
  const wanted = options.names ? new Set(options.names) : undefined;
  const names = new Set([...serverNamesIn(config), ...RESERVED_SERVER_NAMES]);
  const existing = options.existing ?? new Map<string, Record<string, unknown>>();
  const candidates: { name: string; entry: ServerEntryData; from: FoundServer; renamedFrom?: string }[] = [];

  for (const item of found) {
    if (wanted && !wanted.has(item.name)) continue;
    const converted = convertEntry(item);
    if ('skip' in converted) {
      plan.skipped.push({ name: item.name, file: item.source.file, reason: converted.skip });
      continue;
    }
    const same = [...existing.entries()].find(([, e]) => sameRun(e, converted.entry));
    if (same) {
      plan.skipped.push({ name: item.name, file: item.source.file, reason: `already configured as "${same[0]}"` });
      continue;
    }
    let name = item.name;
    if (names.has(name)) {
      const base = `${item.name}-${SHORT[item.source.source] ?? 'imported'}`;
      name = base;
      for (let i = 2; names.has(name); i += 1) name = `${base}-${i}`;
    }
    names.add(name);
    existing.set(name, converted.entry);
    if (converted.dropped.length > 0) plan.dropped.push({ name, keys: converted.dropped });
    candidates.push({ name, entry: converted.entry, from: item, ...(name === item.name ? {} : { renamedFrom: item.name }) });
  }
  for (const name of wanted ?? []) {
    if (!found.some((f) => f.name === name)) plan.skipped.push({ name, file: '-', reason: 'not found in the sources read' });
  }

  // up to two passes: the second leaves out the entries the first check named
  for (let pass = 0; pass < 2; pass += 1) {
    let text = config.text;
    const values: Record<string, string> = {};
    const moves: SecretMove[] = [];
    const taken = new Map(options.taken);
    for (const c of candidates) {
      const extracted = extractSecrets(c.name, c.entry, taken);
      Object.assign(values, extracted.values);
      moves.push(...extracted.moved);
      text = addServer({ text, isJson: config.isJson }, c.name, extracted.entry);
    }
    const env = { ...values, ...options.env };
    const checked = parseConfigText(text, file, { env });
    const bad = checked.ok
      ? new Map<string, string>()
      : badServers(
          checked.issues,
          candidates.map((c) => c.name),
        );
    if (bad.size === 0 || pass === 1) {
      plan.text = text;
      plan.values = values;
      plan.secrets = moves;
      plan.imported = candidates.map((c) => ({
        name: c.name,
        from: c.from.source.source,
        file: c.from.source.file,
        ...(c.renamedFrom ? { renamedFrom: c.renamedFrom } : {}),
      }));
      return plan;
    }
    for (const [name, reason] of bad) {
      const c = candidates.find((x) => x.name === name)!;
      plan.skipped.push({ name: c.renamedFrom ?? name, file: c.from.source.file, reason });
    }
    candidates.splice(0, candidates.length, ...candidates.filter((c) => !bad.has(c.name)));
  }
  return plan;
}

/** The imported servers a config check complained about, with the first problem of each. */
function badServers(issues: readonly { path: string; message: string }[], names: readonly string[]): Map<string, string> {
  const bad = new Map<string, string>();
  for (const issue of issues) {
    const name = names.find(
      (n) =>
        issue.path === `servers.${n}` ||
        issue.path.startsWith(`servers.${n}.`) ||
        issue.path.startsWith(`servers["${n}"]`) ||
        issue.path.startsWith(`mcpServers.${n}`),
    );
    if (name && !bad.has(name)) bad.set(name, `${issue.path}: ${issue.message}`);
  }
  return bad;
}
