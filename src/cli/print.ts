/**
 * The only writer of human text and JSON. Results go to stdout; errors, warnings and
 * progress notices go to stderr. No colour, no spinners: calm, aligned, greppable.
 */
import { ManagerError, formatConfigIssue, type ConfigIssue } from '../errors.js';
import { redact } from '../redact.js';
import type {
  CapabilitiesSnapshot,
  HealthEntry,
  HealthSnapshot,
  InstanceStatus,
  ReloadReport,
  ServerCapabilitiesEntry,
  ServerStatus,
  StatusSnapshot,
  ToolCallResult,
} from '../control/types.js';
import type { DoctorCheck, DoctorReport } from '../discovery/doctor.js';
import type { DiscoveryListing, DiscoverySourceJson, ManagerLookup } from './commands/discovery.js';

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
  capabilities(snapshot: CapabilitiesSnapshot): void;
  health(snapshot: HealthSnapshot): void;
  /** A tool's content on stdout; a result with `isError` goes to stderr under a headline. */
  toolResult(result: ToolCallResult, call: { server: string; tool: string }): void;
  /** An applied reload on stdout; a rejected one (`ok: false`) as its issues on stderr. */
  reload(report: ReloadReport): void;
  /**
   * `discover`: the servers, shadowed duplicates and a summary on stdout; warnings (except
   * the shadowing ones, shown in the table) and issues on stderr. Paths under `home` as `~`.
   */
  discovery(listing: DiscoveryListing, options: { home: string; manager: ManagerLookup }): void;
  /** `doctor`: the checklist grouped by server and a summary line, on stdout. */
  doctor(report: DoctorReport, options: { handshake: boolean }): void;
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
  // everything printed passes the one redaction function
  const out = (text: string): void => void streams.stdout.write(redact(text.endsWith('\n') ? text : `${text}\n`));
  const err = (text: string): void => void streams.stderr.write(redact(text.endsWith('\n') ? text : `${text}\n`));

  return {
    json: (value) => out(JSON.stringify(value, null, 2)),
    line: (text = '') => out(text),
    lines: (lines) => {
      if (lines.length > 0) out(lines.join('\n'));
    },
    table: (rows) => out(formatTable(rows)),
    status: (snapshot, options) => out(formatStatus(snapshot, options)),
    servers: (servers) => out(formatServerList(servers)),
    capabilities: (snapshot) => out(formatCapabilities(snapshot)),
    health: (snapshot) => out(formatHealth(snapshot)),
    toolResult: (result, { server, tool }) => {
      const lines = formatToolResult(result);
      if (result.isError === true) {
        err(`mcp-manager: tool "${tool}" of server "${server}" returned an error${lines.length > 0 ? ':' : ''}`);
        if (lines.length > 0) err(lines.join('\n'));
      } else if (lines.length > 0) {
        out(lines.join('\n'));
      } else {
        err('(the tool returned no content)');
      }
    },
    reload: (report) => {
      if (report.ok) {
        out(formatReload(report));
        return;
      }
      const issues = report.issues ?? [];
      for (const issue of issues) err(formatConfigIssue(issue));
      const count = issues.length === 0 ? '' : ` (${issues.length === 1 ? '1 problem' : `${issues.length} problems`})`;
      err(`mcp-manager: reload rejected${count}; the last good config keeps running`);
    },
    discovery: (listing, options) => {
      out(formatDiscovery(listing, options));
      for (const warning of discoveryWarnings(listing)) err(`warning: ${formatConfigIssue(warning)}`);
      for (const issue of listing.issues) err(formatConfigIssue(issue));
    },
    doctor: (report, options) => out(formatDoctor(report, options)),
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
    ...(manager.notices ?? []).map((notice) => `  warning: ${notice}`),
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
  if (server.desired) {
    const by = server.desired.source === 'operator' ? `operator${server.desired.at ? ` at ${server.desired.at}` : ''}` : 'config';
    fields.push(['desired', `${server.desired.state} (from ${by})`]);
  }
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

/** One block per server: state, server info, then tools, prompts, resources and templates. */
export function formatCapabilities(snapshot: CapabilitiesSnapshot): string {
  if (snapshot.servers.length === 0) return 'no servers configured';
  return snapshot.servers.map((server) => formatServerCapabilities(server).join('\n')).join('\n\n');
}

function formatServerCapabilities(server: ServerCapabilitiesEntry): string[] {
  const info = server.serverInfo ? `${server.serverInfo.name} ${server.serverInfo.version}`.trim() : dash;
  const lines = [server.name, `  state        ${server.state}`, `  server info  ${info}`];
  const section = (title: string, header: string[], rows: string[][]): void => {
    if (rows.length === 0) {
      lines.push(`  ${title}: none`);
      return;
    }
    lines.push(`  ${title} (${rows.length})`, ...formatTable([header, ...rows]).split('\n').map((row) => `    ${row}`));
  };
  section(
    'tools',
    ['PUBLIC NAME', 'TOOL', 'RO'],
    server.tools.map((t) => [t.publicName ?? dash, t.name, t.readOnly ? 'yes' : 'no']),
  );
  section(
    'prompts',
    ['PUBLIC NAME', 'PROMPT'],
    server.prompts.map((p) => [p.publicName ?? dash, p.name]),
  );
  section(
    'resources',
    ['URI', 'NAME'],
    server.resources.map((r) => [r.uri, r.name]),
  );
  section(
    'resource templates',
    ['URI TEMPLATE', 'NAME'],
    server.resourceTemplates.map((r) => [r.uriTemplate, r.name]),
  );
  return lines;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** `0.8ms`, `12ms`, `1.25s`. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${Number(ms.toFixed(1))}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${Number((ms / 1000).toFixed(2))}s`;
}

/** `512 B`, `1.5 KiB`, `123.4 MiB`, `2.0 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const sign = bytes < 0 ? '-' : '';
  return unit === 0 ? `${sign}${value} B` : `${sign}${value.toFixed(1)} ${units[unit]}`;
}

function latencyCell(latency: unknown): string {
  const plain = num(latency);
  if (plain !== undefined) return formatMs(plain);
  if (!isRecord(latency)) return dash;
  const parts: string[] = [];
  const ewma = num(latency.ewma);
  const last = num(latency.last);
  if (ewma !== undefined) parts.push(`ewma ${formatMs(ewma)}`);
  else if (last !== undefined) parts.push(`last ${formatMs(last)}`);
  const p95 = num(latency.p95);
  if (p95 !== undefined) parts.push(`p95 ${formatMs(p95)}`);
  return parts.length > 0 ? parts.join(' ') : dash;
}

function flaggedOf(trend: unknown): string[] {
  if (!isRecord(trend) || !Array.isArray(trend.flagged)) return [];
  return trend.flagged.filter((f): f is string => typeof f === 'string');
}

function trendCell(trend: unknown): string {
  if (!isRecord(trend)) return dash;
  const flagged = flaggedOf(trend);
  return flagged.length > 0 ? flagged.join(',') : 'ok';
}

function formatAt(at: unknown): string | undefined {
  if (typeof at === 'number' && Number.isFinite(at)) return new Date(at).toISOString();
  return str(at);
}

/** What deserves a line under the health table: a failing probe, reasons, flagged trends. */
function healthNotes(entry: Record<string, unknown>): string[] {
  const notes: string[] = [];
  const probe = entry.lastProbe;
  if (isRecord(probe) && probe.ok === false) {
    const kind = str(probe.kind);
    const detail = str(probe.detail);
    const at = formatAt(probe.at);
    notes.push(`${kind ? `${kind} probe` : 'probe'} failed${detail ? `: ${detail}` : ''}${at ? ` (at ${at})` : ''}`);
  }
  if (Array.isArray(entry.reasons)) {
    notes.push(...entry.reasons.filter((r): r is string => typeof r === 'string' && r !== ''));
  }
  const flagged = flaggedOf(entry.trend);
  if (flagged.length > 0 && isRecord(entry.trend)) {
    const details: string[] = [];
    const growth = num(entry.trend.memoryGrowthBytesPerMin);
    if (growth !== undefined) details.push(`memory ${growth >= 0 ? '+' : ''}${formatBytes(growth)}/min`);
    const failureRate = num(entry.trend.failureRate);
    if (failureRate !== undefined) details.push(`failure rate ${Number((failureRate * 100).toFixed(1))}%`);
    notes.push(`trend flagged: ${flagged.join(', ')}${details.length > 0 ? ` (${details.join(', ')})` : ''}`);
  }
  return notes;
}

/** NAME STATE LATENCY CPU MEMORY RESTARTS TREND, then a line per server that needs attention. */
export function formatHealth(snapshot: HealthSnapshot): string {
  if (snapshot.servers.length === 0) return 'no servers configured';
  const rows = [['NAME', 'STATE', 'LATENCY', 'CPU', 'MEMORY', 'RESTARTS', 'TREND']];
  const notes: string[] = [];
  for (const server of snapshot.servers) {
    // The monitor fills what it knows; anything may be missing.
    const entry: Record<string, unknown> = server satisfies HealthEntry;
    const cpu = num(entry.cpuPercent);
    const memory = num(entry.memoryBytes);
    const restarts = num(entry.restarts);
    rows.push([
      server.name,
      str(entry.state) ?? dash,
      latencyCell(entry.latencyMs),
      cpu === undefined ? dash : `${Number(cpu.toFixed(1))}%`,
      memory === undefined ? dash : formatBytes(memory),
      restarts === undefined ? dash : String(restarts),
      trendCell(entry.trend),
    ]);
    const found = healthNotes(entry);
    if (found.length > 0) notes.push(`${server.name}: ${found.join('; ')}`);
  }
  const table = formatTable(rows);
  return notes.length > 0 ? [table, '', ...notes].join('\n') : table;
}

/** The text of each content item; other kinds as a bracketed note, e.g. `[image image/png, 1234 bytes]`. */
export function formatToolResult(result: ToolCallResult): string[] {
  const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
  const lines = content.map(formatContentItem);
  if (lines.length === 0 && result.structuredContent !== undefined) {
    lines.push(JSON.stringify(result.structuredContent, null, 2));
  }
  return lines;
}

function formatContentItem(item: unknown): string {
  if (!isRecord(item)) return '[malformed content item]';
  const type = str(item.type) ?? 'unknown';
  switch (type) {
    case 'text':
      return typeof item.text === 'string' ? item.text.replace(/\n$/, '') : '[text item without text]';
    case 'image':
    case 'audio':
      return `[${type}${mimeOf(item)}${sizeOf(item.data)}]`;
    case 'resource': {
      const resource = isRecord(item.resource) ? item.resource : {};
      const head = `[resource ${str(resource.uri) ?? '?'}${mimeOf(resource)}`;
      if (typeof resource.text === 'string') return `${head}]\n${resource.text.replace(/\n$/, '')}`;
      return `${head}${sizeOf(resource.blob)}]`;
    }
    case 'resource_link': {
      const name = str(item.name);
      return `[resource link ${str(item.uri) ?? '?'}${name ? ` (${name})` : ''}${mimeOf(item)}]`;
    }
    default:
      return `[${type} content]`;
  }
}

function mimeOf(item: Record<string, unknown>): string {
  const mime = str(item.mimeType);
  return mime ? ` ${mime}` : '';
}

/** `, 1234 bytes` for base64 data (counted without decoding). */
function sizeOf(base64: unknown): string {
  return typeof base64 === 'string' ? `, ${Buffer.byteLength(base64, 'base64')} bytes` : '';
}

/** `reloaded: +1 -0 ~2`, then one line per name. */
export function formatReload(report: ReloadReport): string {
  const { added, removed, changed } = report;
  const head = `reloaded: +${added.length} -${removed.length} ~${changed.length}`;
  if (added.length + removed.length + changed.length === 0) return `${head} (no changes)`;
  return [
    head,
    ...added.map((name) => `  + ${name}`),
    ...removed.map((name) => `  - ${name}`),
    ...changed.map((name) => `  ~ ${name}`),
  ].join('\n');
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `file` with the home directory written as `~`. */
export function tildePath(file: string, home: string): string {
  if (home === '' || home === '/') return file;
  const base = home.endsWith('/') ? home.slice(0, -1) : home;
  if (file === base) return '~';
  return file.startsWith(`${base}/`) ? `~${file.slice(base.length)}` : file;
}

function sourceCell(source: DiscoverySourceJson, home: string): string {
  const file = tildePath(source.file, home);
  return source.line === null ? file : `${file}:${source.line}`;
}

/** Warnings other than the "is shadowed by" ones `formatDiscovery` shows as a table. */
export function discoveryWarnings(listing: DiscoveryListing): ConfigIssue[] {
  const isShadowWarning = (w: ConfigIssue): boolean =>
    listing.shadowed.some(
      (s) =>
        w.file === s.source.file &&
        w.path === s.name &&
        (w.line ?? null) === s.source.line &&
        w.message.startsWith(`server "${s.name}" (`) &&
        w.message.includes(' is shadowed by '),
    );
  return listing.warnings.filter((w) => !isShadowWarning(w));
}

const FILE_STATUS: Record<string, string> = {
  read: 'read',
  missing: 'not present',
  failed: 'could not be used',
  duplicate: 'same file as another',
};

/**
 * NAME TYPE SOURCE FORMAT MANAGED, the shadowed declarations (NAME KEPT SHADOWED) and a
 * summary; with nothing found, the places looked in.
 */
export function formatDiscovery(listing: DiscoveryListing, options: { home: string; manager: ManagerLookup }): string {
  const { home, manager } = options;
  const lines: string[] = [];
  if (listing.servers.length === 0) {
    lines.push('no MCP servers found; looked in:');
    const listed = new Set<string>();
    for (const file of listing.files) {
      if (file.status === 'duplicate' || listed.has(file.file)) continue;
      listed.add(file.file);
      const status = file.status === 'read' ? 'read, no servers' : (FILE_STATUS[file.status] ?? file.status);
      lines.push(`  ${tildePath(file.file, home)} (${status})`);
    }
    return lines.join('\n');
  }

  const rows = [['NAME', 'TYPE', 'SOURCE', 'FORMAT', 'MANAGED']];
  for (const server of listing.servers) {
    rows.push([
      server.name,
      server.serverType,
      sourceCell(server.source, home),
      server.source.format,
      server.managed === null ? dash : server.managed ? 'yes' : 'no',
    ]);
  }
  lines.push(formatTable(rows));

  if (listing.shadowed.length > 0) {
    const shadowRows = [['NAME', 'KEPT', 'SHADOWED']];
    for (const s of listing.shadowed) shadowRows.push([s.name, sourceCell(s.by, home), sourceCell(s.source, home)]);
    lines.push('', `shadowed (same name, lower precedence; not used):`, ...formatTable(shadowRows).split('\n').map((row) => `  ${row}`));
  }

  const files = new Set(listing.servers.map((s) => s.source.file)).size;
  let summary = `found ${plural(listing.servers.length, 'server')} in ${plural(files, 'file')}`;
  if (listing.shadowed.length > 0) summary += `, ${listing.shadowed.length} shadowed`;
  if (manager.names === null) summary += `; MANAGED unknown: no manager running for state dir ${tildePath(manager.stateDir, home)}`;
  lines.push('', summary);
  return lines.join('\n');
}

function formatCheck(check: DoctorCheck, indent: string, width: number): string[] {
  const [first = '', ...rest] = check.detail.split('\n');
  const lines = [`${indent}${check.ok ? '✓' : '✗'} ${check.check.padEnd(width)}  ${first}`.trimEnd()];
  const inner = `${indent}  `;
  lines.push(...rest.map((line) => `${inner}${line}`.trimEnd()));
  if (check.fix !== undefined) lines.push(`${inner}${check.ok ? 'hint' : 'fix'}: ${check.fix}`);
  if (check.cause !== undefined && check.cause !== 'unknown') lines.push(`${inner}cause: ${check.cause}`);
  return lines;
}

/**
 * Whole-config checks first, then one block per server (`✓`/`✗` check, detail; `fix:` and
 * `cause:` beneath a failure, `hint:` beneath an advisory), then `N problems found` or
 * `all checks passed`.
 */
export function formatDoctor(report: DoctorReport, options: { handshake: boolean }): string {
  const groups = new Map<string | undefined, DoctorCheck[]>();
  for (const check of report.checks) {
    const group = groups.get(check.server);
    if (group) group.push(check);
    else groups.set(check.server, [check]);
  }
  const blocks: string[] = [];
  for (const [server, checks] of groups) {
    const width = Math.max(...checks.map((c) => c.check.length));
    if (server === undefined) blocks.push(checks.flatMap((c) => formatCheck(c, '', width)).join('\n'));
    else blocks.push([server, ...checks.flatMap((c) => formatCheck(c, '  ', width))].join('\n'));
  }
  const problems = report.checks.filter((c) => !c.ok).length;
  let summary = problems === 0 ? 'all checks passed' : `${plural(problems, 'problem')} found`;
  if (!options.handshake) summary += ' (servers not started: --no-handshake)';
  blocks.push(summary);
  return blocks.join('\n\n');
}
