/**
 * The only writer of human text and JSON. Results go to stdout; errors, warnings and
 * progress notices go to stderr. Colour only on a terminal (`colors.ts`), never in JSON;
 * calm, aligned, greppable.
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
import type { CatalogEntry } from '../config/server-catalog.js';
import type {
  ConnectReport,
  DisconnectReport,
  DiscoveryListing,
  DiscoverySourceJson,
  EditReport,
  ImportReport,
  ManagerLookup,
} from './reports.js';
import { colorEnabled, colors, stateColor, visibleLength, type Colors } from './colors.js';
import type { WatchModel } from './watch-model.js';

export interface TextSink {
  write(text: string): unknown;
  /** A terminal: human output may be coloured. */
  isTTY?: boolean;
}

/** How a state name is shown (coloured on a terminal). */
export type StatePaint = (state: string) => string;
const plainState: StatePaint = (state) => state;

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
  /** `add`/`remove`/`import`: what changed in which file, and what the running manager did. */
  configEdit(report: EditReport): void;
  /** `import`: what was taken (and renamed), what was skipped and why. */
  importReport(report: ImportReport): void;
  /** `connect`: what was written where, the backup, what was moved or replaced. */
  connectReport(report: ConnectReport): void;
  /** `disconnect`: how the client's file was put back. */
  disconnectReport(report: DisconnectReport): void;
  /** `catalog`: one block per entry with what it needs. */
  catalog(entries: readonly CatalogEntry[], query: string | undefined): void;
  /**
   * A region of stdout redrawn in place on a terminal (log-update); elsewhere each frame's
   * `append` lines are printed once, in order. `done` leaves the last frame on screen.
   * log-update is loaded only for a terminal.
   */
  live(stream?: 'out' | 'err'): Promise<LiveRegion>;
  /** A progress frame: `3/5 ready` and a line per server with its state and time. */
  progressFrame(title: string, rows: readonly ProgressRow[], elapsedMs: number): string;
  /** After `start`: where the gateway listens and how to connect a client (stderr). */
  startSummary(summary: StartSummary): void;
  /** `status --watch`: the frame for a model. */
  watchFrame(model: WatchModel, now: number): string;
  /** stderr is a terminal: long work shows progress there. */
  readonly interactive: boolean;
  /** Colours for stdout and stderr (off unless a terminal; NO_COLOR / FORCE_COLOR). */
  readonly colors: { out: Colors; err: Colors };
}

/** One server's line in a progress view. */
export interface ProgressRow {
  name: string;
  state: string;
  /** Time from the start of the work to its final state; null while it is still moving. */
  settledMs: number | null;
  reason: string | null;
  fix: string | null;
  /** Has changed state since the work began. */
  moved: boolean;
}

export interface StartSummary {
  pid: number;
  stateDir: string;
  configFile: string;
  gatewayUrl: string | undefined;
  logFile: string;
}

export interface LiveRegion {
  /** True when frames redraw in place. */
  readonly redraws: boolean;
  /** Show `frame` (terminal) and print `append` lines (elsewhere). */
  update(frame: string, append?: readonly string[]): void;
  /** Keep the last frame, restore the cursor. */
  done(): void;
}

export function createPrinter(
  streams: { stdout: TextSink; stderr: TextSink } = { stdout: process.stdout, stderr: process.stderr },
  env: NodeJS.ProcessEnv = process.env,
): Printer {
  // everything printed passes the one redaction function
  const out = (text: string): void => void streams.stdout.write(redact(text.endsWith('\n') ? text : `${text}\n`));
  const err = (text: string): void => void streams.stderr.write(redact(text.endsWith('\n') ? text : `${text}\n`));
  const c = { out: colors(colorEnabled(streams.stdout, env)), err: colors(colorEnabled(streams.stderr, env)) };
  const paint = stateColor(c.out);

  return {
    json: (value) => out(JSON.stringify(value, null, 2)),
    line: (text = '') => out(text),
    lines: (lines) => {
      if (lines.length > 0) out(lines.join('\n'));
    },
    table: (rows) => out(formatTable(rows)),
    colors: c,
    interactive: streams.stderr.isTTY === true,
    live: async (which = 'out') => {
      const sink = which === 'out' ? streams.stdout : streams.stderr;
      const stream = sink as TextSink & NodeJS.WritableStream;
      const write = which === 'out' ? out : err;
      if (sink.isTTY !== true) {
        return { redraws: false, update: (_frame, append = []) => append.forEach((l) => write(l)), done: () => undefined };
      }
      const { createLogUpdate } = await import('log-update');
      const update = createLogUpdate(stream, { showCursor: false });
      return {
        redraws: true,
        update: (frame) => update(redact(frame)),
        done: () => update.done(),
      };
    },
    watchFrame: (model, now) => formatWatch(model, now, c.out),
    progressFrame: (title, rows, elapsedMs) => formatProgress(title, rows, elapsedMs, c.err),
    startSummary: (s) => err(formatStartSummary(s, c.err)),
    status: (snapshot, options) => out(formatStatus(snapshot, { ...options, paint })),
    servers: (servers) => out(formatServerList(servers, paint)),
    capabilities: (snapshot) => out(formatCapabilities(snapshot)),
    health: (snapshot) => out(formatHealth(snapshot, paint)),
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
    warning: (text) => err(`${c.err.yellow('warning:')} ${text}`),
    error: (error) => err(c.err.red(formatError(error))),
    usageError: (message, usage) => err(`mcp-manager: ${message}\nusage: mcp-manager ${usage}`),
    configIssues: (issues) => {
      for (const issue of issues) err(formatConfigIssue(issue));
    },
    configEdit: (report) => {
      out(formatConfigEdit(report, c.out));
      const note = reloadNote(report);
      if (note) err(note);
    },
    importReport: (report) => {
      out(formatImport(report, c.out));
      if (report.reload) {
        const note = reloadNote({
          action: 'added',
          server: '',
          secrets: [],
          file: report.file ?? '',
          envFile: report.envFile ?? null,
          reload: report.reload,
        });
        if (note) err(note);
      }
    },
    connectReport: (report) => {
      if (report.moved) out(formatImport(report.moved, c.out));
      out(formatConnect(report, c.out));
      if (report.replaced.length > 0 && !report.moved) {
        err(
          `${c.err.yellow('warning:')} replaced ${report.replaced.join(', ')} (kept in the backup); "connect --move" takes them into the config instead`,
        );
      }
    },
    disconnectReport: (report) => out(formatDisconnect(report, c.out)),
    catalog: (entries, query) => {
      if (entries.length === 0) err(query === undefined ? 'the catalog is empty' : `no catalog entry matches "${query}"`);
      else out(formatCatalog(entries, c.out));
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
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)))))
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

function instanceCells(entry: InstanceStatus & { uptimeMs?: number | null; tools?: string[] }, name: string, paint: StatePaint): string[] {
  return [
    name,
    paint(entry.state),
    entry.pid === null ? dash : String(entry.pid),
    String(entry.restarts),
    entry.transport,
    entry.uptimeMs === undefined || entry.uptimeMs === null ? dash : formatDuration(entry.uptimeMs),
    entry.tools === undefined ? dash : String(entry.tools.length),
  ];
}

/** Header, then NAME STATE PID RESTARTS TRANSPORT UPTIME TOOLS; `detailed` adds a block per server. */
export function formatStatus(snapshot: StatusSnapshot, options: { detailed: boolean; paint?: StatePaint }): string {
  const { manager, servers } = snapshot;
  const paint = options.paint ?? plainState;
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
    rows.push(instanceCells(server, server.name, paint));
    if (server.error) notes.set(rows.length - 1, `  error: ${firstLine(server.error)}`);
    if (server.instances && server.instances.length > 1) {
      for (const instance of server.instances) rows.push(instanceCells(instance, `  ${instance.name}`, paint));
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
export function formatServerList(servers: readonly ServerStatus[], paint: StatePaint = plainState): string {
  if (servers.length === 0) return 'no servers configured';
  const rows = [['NAME', 'STATE', 'TRANSPORT', 'ENABLED', 'TAGS', 'DESCRIPTION']];
  for (const s of servers) {
    rows.push([
      s.name,
      paint(s.state),
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
    lines.push(
      `  ${title} (${rows.length})`,
      ...formatTable([header, ...rows])
        .split('\n')
        .map((row) => `    ${row}`),
    );
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

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

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
export function formatHealth(snapshot: HealthSnapshot, paint: StatePaint = plainState): string {
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
      paint(str(entry.state) ?? dash),
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
    lines.push(
      '',
      `shadowed (same name, lower precedence; not used):`,
      ...formatTable(shadowRows)
        .split('\n')
        .map((row) => `  ${row}`),
    );
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

/** `added server "x" to FILE`, the env file, and whether the running manager applied it. */
export function formatConfigEdit(report: EditReport, c: Colors): string {
  const verb = report.action === 'added' ? `added server "${report.server}" to` : `removed server "${report.server}" from`;
  const lines = [`${c.green('✓')} ${verb} ${report.file}`];
  if (report.envFile && report.secrets.length > 0) {
    lines.push(`  ${report.secrets.join(', ')} stored in ${report.envFile} (mode 0600), referenced as \${VAR}`);
  }
  if (report.reload.status === 'applied' && report.reload.report) {
    const { added, removed, changed } = report.reload.report;
    const parts = [
      added.length ? `added ${added.join(', ')}` : '',
      removed.length ? `removed ${removed.join(', ')}` : '',
      changed.length ? `changed ${changed.join(', ')}` : '',
    ].filter(Boolean);
    lines.push(`  the running manager reloaded${parts.length ? `: ${parts.join('; ')}` : ' (nothing to change)'}`);
  }
  return lines.join('\n');
}

/** What the running manager did with an edit, when it is worth telling on stderr. */
function reloadNote(report: EditReport): string | undefined {
  const { status, message } = report.reload;
  if (status === 'not-running') return 'no manager is running; the change applies at the next start';
  if (status === 'other-config') return `the running manager was not reloaded: ${message ?? 'it runs another config file'}`;
  if (status === 'failed') return `mcp-manager: the running manager could not reload: ${message ?? 'unknown error'}`;
  if (status === 'rejected') return 'mcp-manager: the running manager rejected the new config; the last good config keeps running';
  return undefined;
}

const CLIENT_NAMES: Record<string, string> = {
  'claude-desktop': 'Claude Desktop',
  'claude-code': 'Claude Code',
  vscode: 'VS Code',
  cursor: 'Cursor',
};

export function formatConnect(report: ConnectReport, c: Colors): string {
  const { url, command, args } = report.entry as { url?: string; command?: string; args?: string[] };
  const how = url === undefined ? `runs: ${[command ?? '', ...(args ?? [])].join(' ')}` : `connects to ${url}`;
  const lines = [
    `${c.green('✓')} ${CLIENT_NAMES[report.client] ?? report.client} now has mcp-manager as its one server (${report.file})`,
    `  it ${how}`,
    report.backup ? `  backup of the file as it was: ${report.backup}` : '  there was no file before; "disconnect" removes it',
  ];
  if (report.replaced.length > 0 && report.moved)
    lines.push(`  replaced: ${report.replaced.join(', ')} (moved into ${report.config}, see above)`);
  lines.push(
    `  restart ${CLIENT_NAMES[report.client] ?? report.client} to pick it up; undo with "mcp-manager disconnect ${report.client}"`,
  );
  return lines.join('\n');
}

export function formatDisconnect(report: DisconnectReport, c: Colors): string {
  const what = {
    restored: `${report.file} is back as it was before connect`,
    removed: `removed ${report.file} (there was none before connect)`,
    'servers-restored': `${report.file} changed since connect: only its server list was put back`,
    left: `${report.file} no longer named mcp-manager; left as it is`,
  }[report.action];
  const lines = [`${c.green('✓')} ${what}`];
  if (report.moved.length > 0)
    lines.push(
      `  the servers moved by connect --move stay in the config (${report.moved.join(', ')}); "mcp-manager remove NAME" takes one out`,
    );
  return lines.join('\n');
}

/** One block per entry: name, description, and what it needs. */
export function formatCatalog(entries: readonly CatalogEntry[], c: Colors): string {
  return entries
    .map((e) => {
      const needs: string[] = [];
      if (e.needs.env.length > 0) needs.push(`env ${e.needs.env.join(', ')}`);
      if (e.needs.optionalEnv.length > 0) needs.push(`optional ${e.needs.optionalEnv.join(', ')}`);
      if (e.needs.network) needs.push('network');
      if (e.needs.runner) needs.push(`${e.needs.runner} (downloads on first start)`);
      const tags = e.tags.filter((t) => t !== 'catalog');
      return [
        `${c.bold(e.name)}  ${e.description}`,
        `  needs  ${needs.length > 0 ? needs.join('; ') : 'nothing'}`,
        ...(tags.length > 0 ? [`  tags   ${tags.join(', ')}`] : []),
        `  add    mcp-manager add ${e.name} --from-catalog ${e.name}${e.needs.env.length > 0 ? '   (values: --env NAME=VALUE)' : ''}`,
      ].join('\n');
    })
    .join('\n\n');
}

/** `status --watch`: header, then NAME STATE PID UPTIME RESTARTS CPU MEMORY CALLS/S LAST TRANSITION. */
export function formatWatch(model: WatchModel, now: number, c: Colors): string {
  const paint = stateColor(c);
  const head = model.manager
    ? `mcp-manager ${model.manager.version} (pid ${model.manager.pid})  ${model.manager.configFile}`
    : 'mcp-manager';
  const rows: string[][] = [['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'MEMORY', 'CALLS/S', 'LAST TRANSITION']];
  for (const r of model.rows) {
    const last = r.last
      ? `${r.last.from ?? 'new'} → ${r.last.to} ${formatDuration(now - r.last.at)} ago${r.last.reason ? ` (${firstLine(r.last.reason)})` : ''}`
      : dash;
    rows.push([
      r.instance,
      paint(r.state),
      r.pid === null ? dash : String(r.pid),
      r.since === null ? dash : formatDuration(now - r.since),
      String(r.restarts),
      r.cpuPercent === null ? dash : `${Number(r.cpuPercent.toFixed(1))}%`,
      r.memoryBytes === null ? dash : formatBytes(r.memoryBytes),
      r.callsPerSecond === null ? dash : String(Number(r.callsPerSecond.toFixed(1))),
      last,
    ]);
  }
  const body = model.rows.length === 0 ? 'no servers configured' : formatTable(rows);
  return [c.bold(head), '', body, '', c.dim('q or Ctrl-C to quit')].join('\n');
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const UP = new Set(['healthy', 'degraded']);

/** `title  3/5 ready`, then `✓ name  healthy  0.8s` / `✗ name  failed  2.1s  reason` + `fix: …`. */
export function formatProgress(title: string, rows: readonly ProgressRow[], elapsedMs: number, c: Colors): string {
  const paint = stateColor(c);
  const ready = rows.filter((r) => r.settledMs !== null && UP.has(r.state)).length;
  const spin = SPINNER[Math.floor(elapsedMs / 100) % SPINNER.length]!;
  const table = formatTable(
    rows.map((r) => {
      const mark = r.settledMs === null ? c.cyan(spin) : UP.has(r.state) ? c.green('✓') : r.state === 'stopped' ? c.dim('-') : c.red('✗');
      const time = formatMs(r.settledMs ?? elapsedMs);
      return [`${mark} ${r.name}`, paint(r.state), r.settledMs === null ? c.dim(time) : time, r.reason ? firstLine(r.reason) : ''];
    }),
  ).split('\n');
  const lines = [`${c.bold(title)}  ${ready}/${rows.length} ready`];
  rows.forEach((r, i) => {
    lines.push(`  ${table[i] ?? ''}`);
    if (r.fix) lines.push(`      ${c.yellow('fix:')} ${firstLine(r.fix)}`);
  });
  return lines.join('\n');
}

export function formatStartSummary(s: StartSummary, c: Colors): string {
  const lines = [`mcp-manager running (pid ${s.pid}), state dir ${s.stateDir}; stop with Ctrl-C or "mcp-manager stop"`];
  if (s.gatewayUrl) {
    lines.push(`  gateway   ${c.bold(s.gatewayUrl)}`);
    lines.push(`  connect   mcp-manager connect claude-code|vscode|cursor --http   (or point a client at the URL above)`);
  } else {
    lines.push(`  gateway   no HTTP listener (set manager.http or pass --http HOST:PORT)`);
    lines.push(
      `  connect   mcp-manager connect claude-desktop --stdio   (clients run: mcp-manager start --stdio --config ${s.configFile})`,
    );
  }
  lines.push(`  log       ${s.logFile}`);
  return lines.join('\n');
}

/** `import`: a line per imported server (with its rename), then what was skipped and why. */
export function formatImport(report: ImportReport, c: Colors): string {
  const lines: string[] = [];
  const verb = report.dryRun ? 'would import' : 'imported';
  for (const i of report.imported) {
    const renamed = i.renamedFrom ? ` (renamed from "${i.renamedFrom}": the name is taken)` : '';
    lines.push(`${c.green('✓')} ${verb} "${i.name}" from ${i.from} (${i.file})${renamed}`);
  }
  for (const d of report.dropped) lines.push(`  "${d.name}": left out ${d.keys.join(', ')} (not settings of mcp-manager)`);
  if (report.secrets.length > 0) {
    const where = report.envFile ?? 'the env file';
    lines.push(
      `  secrets moved to ${where} (mode 0600): ${report.secrets.map((s) => `${s.server}.env.${s.key} → \${${s.variable}}`).join(', ')}`,
    );
  }
  for (const s of report.skipped) lines.push(`${c.yellow('-')} skipped "${s.name}" (${s.file}): ${s.reason}`);
  if (report.imported.length > 0 && report.file) lines.push(`${report.dryRun ? 'config (unchanged)' : 'config'}: ${report.file}`);
  if (report.imported.length === 0 && report.skipped.length === 0) lines.push('nothing to import: no servers found');
  if (report.reload?.status === 'applied' && report.reload.report)
    lines.push(`the running manager reloaded: added ${report.reload.report.added.join(', ') || 'nothing'}`);
  return lines.join('\n');
}
