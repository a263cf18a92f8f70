/**
 * The only writer of human text and JSON. Results go to stdout; errors, warnings and
 * progress notices go to stderr. No colour, no spinners: calm, aligned, greppable.
 */
import { ManagerError, formatConfigIssue, type ConfigIssue } from '../errors.js';
import type { InstanceStatus, ServerStatus, StatusSnapshot } from '../control/types.js';

export interface TextSink {
  write(text: string): unknown;
}

export interface Printer {
  /** One JSON document on stdout. */
  json(value: unknown): void;
  /** Lines of text on stdout. */
  line(text?: string): void;
  lines(lines: readonly string[]): void;
  table(rows: readonly (readonly string[])[]): void;
  status(snapshot: StatusSnapshot, options: { detailed: boolean }): void;
  servers(servers: readonly ServerStatus[]): void;
  /** Progress and side remarks on stderr. */
  notice(text: string): void;
  warning(text: string): void;
  /** A failure on stderr: `mcp-manager: <message>`. */
  error(error: unknown): void;
  /** A usage error on stderr: the one-line problem and the command's usage. */
  usageError(message: string, usage: string): void;
  configIssues(issues: readonly ConfigIssue[]): void;
}

export function createPrinter(
  streams: { stdout: TextSink; stderr: TextSink } = { stdout: process.stdout, stderr: process.stderr },
): Printer {
  const out = (text: string): void => void streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string): void => void streams.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

  return {
    json: (value) => out(JSON.stringify(value, null, 2)),
    line: (text = '') => out(text),
    lines: (lines) => {
      if (lines.length > 0) out(lines.join('\n'));
    },
    table: (rows) => out(formatTable(rows)),
    status: (snapshot, options) => out(formatStatus(snapshot, options)),
    servers: (servers) => out(formatServerList(servers)),
    notice: (text) => err(text),
    warning: (text) => err(`warning: ${text}`),
    error: (error) => err(formatError(error)),
    usageError: (message, usage) => err(`mcp-manager: ${message}\nusage: mcp-manager ${usage}`),
    configIssues: (issues) => {
      for (const issue of issues) err(formatConfigIssue(issue));
    },
  };
}

export function formatError(error: unknown): string {
  if (ManagerError.is(error)) return `mcp-manager: ${error.message}`;
  if (error instanceof Error) return `mcp-manager: internal error: ${error.message}`;
  return `mcp-manager: ${String(error)}`;
}

/** Columns padded to their widest cell, two spaces apart, no trailing blanks. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `45s`, `3m 12s`, `2h 3m`, `4d 2h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const dash = '-';

function instanceCells(entry: InstanceStatus & { uptimeMs?: number | null; tools?: string[] }, name: string): string[] {
  return [
    name,
    entry.state,
    entry.pid === null ? dash : String(entry.pid),
    String(entry.restarts),
    entry.transport,
    entry.uptimeMs === undefined || entry.uptimeMs === null ? dash : formatDuration(entry.uptimeMs),
    entry.tools === undefined ? dash : String(entry.tools.length),
  ];
}

/** Header, then NAME STATE PID RESTARTS TRANSPORT UPTIME TOOLS; `detailed` adds a block per server. */
export function formatStatus(snapshot: StatusSnapshot, options: { detailed: boolean }): string {
  const { manager, servers } = snapshot;
  const lines = [
    `mcp-manager ${manager.version} (pid ${manager.pid}), up ${formatDuration(manager.uptimeMs)}`,
    `  config  ${manager.configFile}`,
    `  state   ${manager.stateDir}`,
    '',
  ];
  if (servers.length === 0) {
    lines.push('no servers configured');
    return lines.join('\n');
  }

  const rows: string[][] = [['NAME', 'STATE', 'PID', 'RESTARTS', 'TRANSPORT', 'UPTIME', 'TOOLS']];
  // Error lines sit beneath their row, outside the column layout.
  const notes = new Map<number, string>();
  for (const server of servers) {
    rows.push(instanceCells(server, server.name));
    if (server.error) notes.set(rows.length - 1, `  error: ${firstLine(server.error)}`);
    if (server.instances && server.instances.length > 1) {
      for (const instance of server.instances) rows.push(instanceCells(instance, `  ${instance.name}`));
    }
  }
  const table = formatTable(rows).split('\n');
  table.forEach((row, i) => {
    lines.push(row);
    const note = notes.get(i);
    if (note) lines.push(note);
  });

  if (options.detailed) {
    for (const server of servers) lines.push('', ...formatServerDetails(server));
  }
  return lines.join('\n');
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

function formatServerDetails(server: ServerStatus): string[] {
  const fields: [string, string][] = [];
  if (server.description) fields.push(['description', server.description]);
  fields.push(['state', server.enabled ? server.state : `${server.state} (disabled)`]);
  if (server.command) fields.push(['command', [server.command, ...(server.args ?? [])].join(' ')]);
  if (server.tags.length > 0) fields.push(['tags', server.tags.join(', ')]);
  if (server.tools) fields.push(['tools', server.tools.length > 0 ? server.tools.join(', ') : '(none)']);
  if (server.lastExit) {
    const how = server.lastExit.signal ? `signal ${server.lastExit.signal}` : `code ${server.lastExit.exitCode ?? '?'}`;
    fields.push(['last exit', server.lastExit.at ? `${how} at ${server.lastExit.at}` : how]);
  }
  if (server.nextRestartInMs !== undefined && server.nextRestartInMs !== null) {
    fields.push(['next restart', `in ${formatDuration(server.nextRestartInMs)}`]);
  }
  const width = Math.max(...fields.map(([key]) => key.length));
  const lines = [server.name, ...fields.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`)];
  const hasTail = server.stderrTail !== undefined && server.stderrTail.length > 0;
  if (server.error) {
    // An exit error repeats the stderr tail printed below; keep its headline then.
    const errorLines = hasTail ? [firstLine(server.error)] : server.error.split('\n');
    lines.push('  error:', ...errorLines.map((l) => `    ${l}`));
  }
  if (hasTail) {
    lines.push('  stderr (last lines):', ...(server.stderrTail ?? []).map((l) => `    ${l}`));
  }
  return lines;
}

/** NAME STATE TRANSPORT ENABLED TAGS DESCRIPTION */
export function formatServerList(servers: readonly ServerStatus[]): string {
  if (servers.length === 0) return 'no servers configured';
  const rows = [['NAME', 'STATE', 'TRANSPORT', 'ENABLED', 'TAGS', 'DESCRIPTION']];
  for (const s of servers) {
    rows.push([
      s.name,
      s.state,
      s.transport,
      s.enabled ? 'yes' : 'no',
      s.tags.length > 0 ? s.tags.join(',') : dash,
      s.description ?? '',
    ]);
  }
  return formatTable(rows);
}
