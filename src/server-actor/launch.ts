/**
 * The `launch` actor: spawn the server, run the MCP handshake, read its catalog.
 * Resolves with data for the chart; rejects with a ManagerError whose code and data
 * say what went wrong (spawn failure, exit before initialize with the stderr tail).
 */
import { Client, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/client';
import type { Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/client';
import { fromPromise } from 'xstate';
import type { LaunchResult } from '../../machines/events.js';
import type { InstanceRef } from '../../machines/server.machine.js';
import { serverOfInstance } from '../../machines/supervisor.machine.js';
import type { ServerConfig } from '../config/types.js';
import { diagnoseFailure, type FailureCause } from '../discovery/diagnose.js';
import { ManagerError, ServerExitError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { limitReports } from '../transports/report-limit.js';
import type { StderrCaptureOptions } from '../transports/stderr-capture.js';
import { StdioProcessTransport } from '../transports/stdio.js';
import {
  EMPTY_CATALOG,
  type BackendCatalog,
  type BackendHooks,
  type ProcessTransport,
  type Session,
  type SessionRegistry,
} from './session.js';

export interface LaunchDeps {
  sessions: SessionRegistry;
  /** The current config of a server, by name. */
  configOf(server: string): ServerConfig | undefined;
  /** Per-instance stderr log file (used when `stderrSinkOf` is absent). */
  logFileOf(instance: string): string;
  /** The instance's lines into its server's shared, rotated log. */
  stderrSinkOf?(instance: string): StderrCaptureOptions['sink'];
  /** Spawned children, recorded for the orphan sweep after a crash of the manager. */
  children?: { add(instance: string, pid: number): void; remove(pid: number): void };
  logger: Logger;
  clientInfo: { name: string; version: string };
  /** The gateway's side: server→client requests, forwarded notifications, catalog changes. */
  hooks?: BackendHooks;
}

/** How long to wait, after the handshake broke, for the process to report its exit. */
const EXIT_REPORT_MS = 2_000;

export function createLaunch(deps: LaunchDeps) {
  return fromPromise<LaunchResult, InstanceRef>(async ({ input, signal }) => {
    const server = serverOfInstance(input.instance);
    const config = deps.configOf(server);
    if (!config) throw new ManagerError('SERVER_NOT_FOUND', `server "${server}" is not configured`);

    const stale = deps.sessions.get(input.instance);
    if (stale) await stale.close();

    const session = openSession(input.instance, config, await openTransport(input.instance, config, deps), deps);
    deps.sessions.set(session);
    const abort = () => void session.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await session.client.connect(session.transport);
      tapProgress(session);
      session.capabilities = session.client.getServerCapabilities() ?? {};
      session.serverInfo = session.client.getServerVersion();
      session.catalog = await readCatalog(session.client);
      signal.throwIfAborted();
      return { pid: session.transport.pid, tools: session.catalog.tools.map((t) => t.name), startedAt: Date.now() };
    } catch (error) {
      throw await explainLaunchFailure(server, config, session, error);
    } finally {
      signal.removeEventListener('abort', abort);
    }
  });
}

async function openTransport(instance: string, config: ServerConfig, deps: LaunchDeps): Promise<ProcessTransport> {
  if (config.connectionType !== 'stdio') {
    // remote transports (and `ws`) load only when a remote server is configured
    const { openRemoteTransport } = await import('../transports/remote/index.js');
    return openRemoteTransport(config, { serverName: instance, logger: deps.logger.child({ server: instance }) });
  }
  if (!config.command) throw new ManagerError('TRANSPORT_UNSUPPORTED', `server "${config.name}": a stdio server needs a "command"`);
  return new StdioProcessTransport({
    serverName: instance,
    command: config.command,
    args: config.args,
    env: config.env,
    inheritEnv: config.inheritEnv,
    ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
    ...(deps.stderrSinkOf ? { stderrSink: deps.stderrSinkOf(instance) } : { stderrLogFile: deps.logFileOf(instance) }),
    ...(deps.children
      ? { onSpawn: (pid: number) => deps.children?.add(instance, pid), onGroupGone: (pid: number) => deps.children?.remove(pid) }
      : {}),
    stopGraceMs: config.stopGraceMs,
    stopTimeoutMs: config.stopTimeoutMs,
  });
}

function openSession(instance: string, config: ServerConfig, transport: ProcessTransport, deps: LaunchDeps): Session {
  const client = new Client(deps.clientInfo, {
    capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
  });
  const log = deps.logger.child({ server: instance });
  // bad lines on stdout, oversized messages: reported (a few per interval, then a count), never fatal
  const unreadable = limitReports({
    // our stdio transport already limits its own reports to a few per interval and a count
    first: 20,
    report: (error) => log.warn({ err: errorMessage(error) }, 'server sent something we could not read'),
    summary: (count, last, intervalMs) =>
      log.warn({ suppressed: count, intervalMs, last: last ? errorMessage(last) : null }, `server sent ${count} more things we could not read`),
  });
  client.onerror = unreadable;
  void transport.exited.then(() => unreadable.flush());
  let closing: Promise<void> | undefined;
  const session: Session = {
    instance,
    server: config.name,
    transport,
    client,
    catalog: EMPTY_CATALOG,
    written: 0,
    progress: new Map(),
    capabilities: {},
    serverInfo: undefined,
    exited: transport.exited,
    close: () => (closing ??= client.close().then(() => transport.close())),
  };
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    await send(message, options);
    session.written++;
  };
  const reread = (part: keyof BackendCatalog) => async () => {
    try {
      session.catalog = { ...session.catalog, ...(await readCatalogPart(client, part)) };
      session.onCatalog?.(session.catalog);
      deps.hooks?.catalogChanged(session);
    } catch (error) {
      log.warn({ err: errorMessage(error) }, `could not re-read ${part} after list_changed`);
    }
  };
  client.setNotificationHandler('notifications/tools/list_changed', reread('tools'));
  client.setNotificationHandler('notifications/prompts/list_changed', reread('prompts'));
  client.setNotificationHandler('notifications/resources/list_changed', reread('resources'));
  const forward = (n: { method: string; params?: Record<string, unknown> }) => deps.hooks?.notification(session, n);
  client.setNotificationHandler('notifications/message', (n) => forward(n));
  client.setNotificationHandler('notifications/resources/updated', (n) => forward(n));
  const ask = async (request: { method: string; params?: Record<string, unknown> }, signal: AbortSignal) => {
    if (!deps.hooks) throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `${request.method}: no client is connected to mcp-manager`);
    return deps.hooks.request(session, request, signal);
  };
  client.setRequestHandler('sampling/createMessage', (r, ctx) => ask(r, ctx.mcpReq.signal) as never);
  client.setRequestHandler('elicitation/create', (r, ctx) => ask(r, ctx.mcpReq.signal) as never);
  client.setRequestHandler('roots/list', (r, ctx) => ask(r, ctx.mcpReq.signal) as never);
  return session;
}

/** Deliver progress notifications to their listener synchronously, as they arrive. */
function tapProgress(session: Session): void {
  const deliver = session.transport.onmessage;
  session.transport.onmessage = (message, extra) => {
    if ('method' in message && message.method === 'notifications/progress' && message.params) {
      const params = message.params as { progressToken?: string | number; progress: number; total?: number; message?: string };
      const listener = params.progressToken === undefined ? undefined : session.progress.get(params.progressToken);
      if (listener) {
        listener(params);
        return;
      }
    }
    deliver?.(message, extra);
  };
}

/** Read everything the server advertises, following pagination. */
async function readCatalog(client: Client): Promise<BackendCatalog> {
  const parts = await Promise.all((['tools', 'prompts', 'resources'] as const).map((part) => readCatalogPart(client, part)));
  return Object.assign({ ...EMPTY_CATALOG }, ...parts) as BackendCatalog;
}

async function readCatalogPart(client: Client, part: keyof BackendCatalog): Promise<Partial<BackendCatalog>> {
  const caps = client.getServerCapabilities() ?? {};
  switch (part) {
    case 'tools':
      return { tools: caps.tools ? await paginate<Tool>((cursor) => client.listTools(cursor).then((r) => [r.tools, r.nextCursor])) : [] };
    case 'prompts':
      return {
        prompts: caps.prompts ? await paginate<Prompt>((cursor) => client.listPrompts(cursor).then((r) => [r.prompts, r.nextCursor])) : [],
      };
    case 'resources':
    case 'resourceTemplates':
      if (!caps.resources) return { resources: [], resourceTemplates: [] };
      return {
        resources: await paginate<Resource>((cursor) => client.listResources(cursor).then((r) => [r.resources, r.nextCursor])),
        resourceTemplates: await paginate<ResourceTemplateType>((cursor) =>
          client.listResourceTemplates(cursor).then((r) => [r.resourceTemplates, r.nextCursor]),
        ),
      };
  }
}

/** Bound on pages read from one list (a server that paginates forever must not hang the launch). */
const MAX_PAGES = 100;

async function paginate<T>(page: (params: { cursor?: string }) => Promise<[T[], string | undefined]>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const [batch, next] = await page(cursor === undefined ? {} : { cursor });
    items.push(...batch);
    if (!next) break;
    cursor = next;
  }
  return items;
}

/** Failures no restart mends: the server is broken until someone changes it. */
const DETERMINISTIC: ReadonlySet<FailureCause> = new Set([
  'command_not_found',
  'permission_denied',
  'missing_module',
  'mcp_v2_import',
  'fastmcp_constructor',
  'protocol_version',
]);

/**
 * Turn a broken start into the most useful error: spawn failure, exit with stderr, or
 * protocol error — and, when the cause is known (a missing module, an `mcp` v2 import,
 * an unknown FastMCP argument, a protocol mismatch), say so with the fix. Such failures
 * are `INCOMPATIBLE`: the chart does not burn its restart budget on them.
 */
async function explainLaunchFailure(server: string, config: ServerConfig, session: Session, error: unknown): Promise<unknown> {
  const base = await launchError(server, session, error);
  const data = ManagerError.is(base) ? base.data : {};
  const diagnosis = diagnoseFailure({
    exitCode: typeof data.exitCode === 'number' ? data.exitCode : null,
    signal: typeof data.signal === 'string' ? data.signal : null,
    stderrTail: Array.isArray(data.stderrTail) ? (data.stderrTail as string[]) : session.transport.stderrTail(),
    command: config.command ?? config.url ?? server,
    code: ManagerError.is(base) ? base.code : undefined,
    message: base instanceof Error ? base.message : String(base),
  });
  if (!DETERMINISTIC.has(diagnosis.cause) || !ManagerError.is(base)) return base;
  const code = base.code === 'SPAWN_FAILED' ? 'SPAWN_FAILED' : 'INCOMPATIBLE';
  return new ManagerError(code, `${diagnosis.summary} — fix: ${diagnosis.fix}`, {
    cause: base,
    data: { ...base.data, cause: diagnosis.cause, fix: diagnosis.fix },
  });
}

async function launchError(server: string, session: Session, error: unknown): Promise<unknown> {
  // "closed its input" (EPIPE on the initialize write) races the exit of a process that
  // died at once: wait for the exit, so its code and stderr tail make the diagnosis
  if (ManagerError.is(error) && !(error.code === 'SERVER_UNAVAILABLE' && error.data.delivered === false)) return error;
  const exit = await Promise.race([
    session.exited,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), EXIT_REPORT_MS).unref()),
  ]);
  if (exit && (exit.exitCode !== null || exit.signal !== null)) return new ServerExitError(server, exit);
  if (ManagerError.is(error)) return error;
  return new ManagerError('INITIALIZE_FAILED', `server "${server}": MCP handshake failed: ${errorMessage(error)}`, {
    cause: error,
    data: { stderrTail: session.transport.stderrTail() },
  });
}
