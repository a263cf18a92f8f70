/**
 * The `launch` actor: spawn the server, run the MCP handshake, read its catalog.
 * Resolves with data for the chart; rejects with a ManagerError whose code and data
 * say what went wrong (spawn failure, exit before initialize with the stderr tail).
 */
import { Client, ProtocolError, ProtocolErrorCode, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import type { PriorDiscovery, Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/client';
import { fromPromise } from 'xstate';
import type { LaunchResult } from '../../machines/events.js';
import type { InstanceRef } from '../../machines/server.machine.js';
import { serverOfInstance } from '../../machines/supervisor.machine.js';
import type { ServerConfig } from '../config/types.js';
import { diagnoseFailure, type FailureCause } from '../discovery/diagnose.js';
import { ManagerError, ServerExitError, errorMessage } from '../errors.js';
import { settledWithin } from '../wait.js';
import type { Logger } from '../logger.js';
import { limitReports } from '../transports/report-limit.js';
import type { StderrCaptureOptions } from '../transports/stderr-capture.js';
import type { ProcessTransport } from '../transports/process-transport.js';
import { StdioProcessTransport } from '../transports/stdio.js';
import { lateProbeAnswer, negotiationOf, priorOf, verdictOf, type EraStore } from './era.js';
import { EMPTY_CATALOG, type BackendCatalog, type BackendHooks, type Session, type SessionRegistry } from './session.js';
import { UpstreamListen } from './upstream-listen.js';

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
  /** Kept protocol-era verdicts (the state dir); without it every `auto` start probes. */
  eras?: EraStore;
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

    const prior = priorOf(config, deps.eras?.get(server), Date.now());
    let session = openSession(input.instance, config, await openTransport(input.instance, config, deps), deps);
    deps.sessions.set(session);
    const abort = () => void session.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      try {
        await session.client.connect(session.transport, prior ? { prior } : undefined);
      } catch (error) {
        if (!(await closedOnProbe(config, prior, session, error))) throw error;
        // some servers exit on any request before initialize: start it again, straight to initialize
        deps.logger.info(
          { server: input.instance },
          'server closed its connection on the server/discover probe; starting it again in the legacy era',
        );
        await session.close();
        deps.sessions.delete(session);
        session = openSession(input.instance, config, await openTransport(input.instance, config, deps), deps);
        deps.sessions.set(session);
        signal.throwIfAborted();
        await session.client.connect(session.transport, { prior: { kind: 'legacy' } });
      }
      const learnt = prior === undefined || prior.kind !== session.client.getProtocolEra();
      if (config.protocol !== 'legacy' && learnt && !answeredProbeLate.has(session.client)) {
        deps.eras?.set(server, verdictOf(session.client, config, Date.now()));
      }
      tapProgress(session);
      session.capabilities = session.client.getServerCapabilities() ?? {};
      session.serverInfo = session.client.getServerVersion();
      // a 2026-07-28 server tells of list changes only on a stream asked for; open it before
      // the lists are read, so no change between the read and the stream goes unseen
      const listening = session.client.getProtocolEra() === 'modern' ? session.listen?.openLists() : undefined;
      session.catalog = await readCatalog(session.client);
      await listening;
      signal.throwIfAborted();
      return { pid: session.transport.pid, tools: session.catalog.tools.map((t) => t.name), startedAt: Date.now() };
    } catch (error) {
      // a verdict that did not lead to a working start is probed again next time
      if (config.protocol !== 'legacy' && deps.eras?.get(server) !== undefined) deps.eras.set(server, undefined);
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

/**
 * Did an `auto` probe end because the server closed the connection (exited) on it? Then it is
 * a legacy server that cannot take an unexpected first message.
 */
async function closedOnProbe(config: ServerConfig, prior: PriorDiscovery | undefined, session: Session, error: unknown): Promise<boolean> {
  if (config.protocol !== 'auto' || prior !== undefined || session.client.getProtocolEra() !== undefined) return false;
  if (!(error instanceof SdkError) || error.code !== SdkErrorCode.EraNegotiationFailed) return false;
  const exit = await settledWithin(session.exited, EXIT_REPORT_MS, { ref: false });
  return exit !== undefined;
}

/** What the gateway tells a server it can serve (configured per server; nothing by default). */
export function clientCapabilitiesOf(config: ServerConfig): Record<string, object> {
  const offered = config.clientCapabilities;
  return {
    ...(offered.sampling ? { sampling: {} } : {}),
    ...(offered.elicitation ? { elicitation: {} } : {}),
    ...(offered.roots ? { roots: { listChanged: true } } : {}),
  };
}

/**
 * One JSON Schema validator (an Ajv instance and its compiled schemas) for every backend
 * client, instead of one per client: it was the largest part of what the manager held per
 * server. Ajv caches what it compiled by schema object, and every `tools/list` brings new
 * objects, so validators are kept here by the schema's content: each distinct schema is
 * compiled once, whatever the number of replicas, restarts and re-reads.
 */
function sharedSchemaValidator(): jsonSchemaValidator {
  const ajv = new AjvJsonSchemaValidator();
  const compiled = new Map<string, JsonSchemaValidator<unknown>>();
  return {
    getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
      const key = JSON.stringify(schema);
      let validator = compiled.get(key);
      if (!validator) compiled.set(key, (validator = ajv.getValidator<unknown>(schema)));
      return validator as JsonSchemaValidator<T>;
    },
  };
}
let sharedValidator: jsonSchemaValidator | undefined;

/** Clients whose server answered the era probe after it timed out: their era is no verdict to keep. */
const answeredProbeLate = new WeakSet<Client>();

function openSession(instance: string, config: ServerConfig, transport: ProcessTransport, deps: LaunchDeps): Session {
  const client = new Client(deps.clientInfo, {
    capabilities: clientCapabilitiesOf(config),
    versionNegotiation: negotiationOf(config),
    jsonSchemaValidator: (sharedValidator ??= sharedSchemaValidator()),
  });
  const log = deps.logger.child({ server: instance });
  // bad lines on stdout, oversized messages: reported (a few per interval, then a count), never fatal
  const unreadable = limitReports({
    // our stdio transport already limits its own reports to a few per interval and a count
    first: 20,
    report: (error) => log.warn({ err: errorMessage(error) }, 'server sent something we could not read'),
    summary: (count, last, intervalMs) =>
      log.warn(
        { suppressed: count, intervalMs, last: last ? errorMessage(last) : null },
        `server sent ${count} more things we could not read`,
      ),
  });
  client.onerror = (error) => {
    const late = lateProbeAnswer(error);
    if (late === undefined) {
      unreadable(error);
    } else if (late === 'result' && config.protocol === 'auto') {
      // it speaks 2026-07-28, only too slowly for the probe: not a verdict to keep
      answeredProbeLate.add(client);
      deps.eras?.set(config.name, undefined);
      log.warn('server answered the protocol-era probe after it timed out: this start is in the 2025 era; it is probed again next time');
    } else {
      log.debug({ answer: late }, 'a late answer to the protocol-era probe (it timed out; the server went on in the 2025 era)');
    }
  };
  void transport.exited.then(() => unreadable.flush());
  let closing: Promise<void> | undefined;
  const listen = new UpstreamListen(client, log, { ackTimeoutMs: Math.max(1, Math.floor(config.startupTimeoutMs / 3)) });
  const session: Session = {
    instance,
    server: config.name,
    transport,
    client,
    clientInfo: deps.clientInfo,
    catalog: EMPTY_CATALOG,
    written: 0,
    progress: new Map(),
    capabilities: {},
    serverInfo: undefined,
    exited: transport.exited,
    listen,
    close: () => {
      listen.close();
      return (closing ??= client.close().then(() => transport.close()));
    },
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
  // only what was offered: a request for anything else is refused by the SDK
  const offered = config.clientCapabilities;
  if (offered.sampling) client.setRequestHandler('sampling/createMessage', (r, ctx) => ask(r, ctx.mcpReq.signal) as never);
  if (offered.elicitation) client.setRequestHandler('elicitation/create', (r, ctx) => ask(r, ctx.mcpReq.signal) as never);
  if (offered.roots) client.setRequestHandler('roots/list', (r, ctx) => ask(r, ctx.mcpReq.signal) as never);
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
  // the server answered, but not in the era asked for (`protocol: modern` against a legacy server)
  if (error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed) {
    return new ManagerError('INITIALIZE_FAILED', `server "${server}": ${errorMessage(error)}`, {
      cause: error,
      data: { stderrTail: session.transport.stderrTail() },
    });
  }
  const exit = await settledWithin(session.exited, EXIT_REPORT_MS, { ref: false });
  if (exit && (exit.exitCode !== null || exit.signal !== null)) return new ServerExitError(server, exit);
  if (ManagerError.is(error)) return error;
  return new ManagerError('INITIALIZE_FAILED', `server "${server}": MCP handshake failed: ${errorMessage(error)}`, {
    cause: error,
    data: { stderrTail: session.transport.stderrTail() },
  });
}
