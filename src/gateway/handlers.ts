/**
 * The MCP methods a client session can call, each routed to the right server.
 */
import { LOG_LEVEL_META_KEY, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CallToolResult, LoggingLevel, ProgressToken, Server, ServerContext, Tool } from '@modelcontextprotocol/server';
import { subscribeResource, unsubscribeResource, type Session } from '../server-actor/session.js';
import { ManagerError } from '../errors.js';
import { settledWithin } from '../wait.js';
import { ResultCache } from './cache.js';
import type { Lease } from './dispatch.js';
import type { CallContext, ClientSession, GatewayCore as Gateway } from './types.js';
import { isConnectionLost, isNotDelivered, toWireError } from './wire-errors.js';
import { bridgeCall } from './modern/input-bridge.js';
import { passesThrough, toClient, upstreamParams, upstreamRound, type UpstreamRound } from './modern/pass-through.js';

/** Long tool calls are the client's to time out (they may run for hours). */
export const CALL_TIMEOUT_MS = 60 * 60_000;
/** Extra tries for a call that never reached its backend (the connection was already dying). */
export const NOT_DELIVERED_EXTRA_ATTEMPTS = 3;
/** How long a retry waits for a dying connection to be reported gone. */
const EXIT_WAIT_MS = 2_000;
/** MCP's "resource not found". */
const RESOURCE_NOT_FOUND = -32002;

type Extra = ServerContext;

export function registerHandlers(server: Server, client: ClientSession, gw: Gateway): void {
  /** Every handler's failures go through the one wire mapping. */
  const handle =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (error) {
        throw toWireError(error);
      }
    };

  server.setRequestHandler('tools/list', () => ({ tools: gw.catalog.tools() }));
  server.setRequestHandler('prompts/list', () => ({ prompts: gw.catalog.prompts() }));
  server.setRequestHandler('resources/list', () => ({ resources: gw.catalog.resources() }));
  server.setRequestHandler('resources/templates/list', () => ({ resourceTemplates: gw.catalog.resourceTemplates() }));

  server.setRequestHandler(
    'tools/call',
    handle(async (request, extra: Extra) => {
      const routed = gw.catalog.tool(request.params.name);
      if (!routed) {
        const down = gw.unavailable.lookup(request.params.name);
        if (down) {
          throw new ManagerError(
            'SERVER_UNAVAILABLE',
            `tool "${request.params.name}" is unavailable: server "${down.server}" failed: ${down.reason}`,
            {
              data: { tool: request.params.name, server: down.server },
            },
          );
        }
        throw new ManagerError('TOOL_NOT_FOUND', `unknown tool "${request.params.name}"`, { data: { tool: request.params.name } });
      }
      const args = request.params.arguments ?? {};
      const origin = (ctx: Extra): CallOrigin => ({
        client,
        signal: ctx.mcpReq.signal,
        sessionId: ctx.sessionId,
        progressToken: request.params._meta?.progressToken,
        notify: ctx.mcpReq.notify,
        logLevel: logLevelOf(client, ctx),
        context: callContext(client, ctx),
      });
      if (client.era === 'modern') {
        const upstream = upstreamRound(extra, gw.inputs.mint);
        // the retry of an upstream's own input round goes back to that upstream, as it is
        if (upstream.handle) return callRoutedTool(gw, routed, args, { ...origin(extra), upstream });
        // a 2026-07-28 client is asked for input with input_required results, across its retries
        return bridgeCall(gw.inputs, extra, (ctx) =>
          callRoutedTool(gw, routed, args, { ...origin(ctx), upstream, progressAnyRound: true }),
        );
      }
      return callRoutedTool(gw, routed, args, origin(extra));
    }),
  );

  server.setRequestHandler(
    'prompts/get',
    handle(async (request, extra: Extra) => {
      const routed = gw.catalog.prompt(request.params.name);
      if (!routed) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown prompt "${request.params.name}"`);
      const round = client.era === 'modern' ? upstreamRound(extra, gw.inputs.mint) : undefined;
      return withLease(gw, client, routed.server, extra, round, async (lease) => {
        const params = withLogLevel(lease.session, { ...request.params, name: routed.name }, logLevelOf(client, extra));
        if (!passesThrough(round, lease.session)) return lease.session.client.getPrompt(params, { signal: extra.mcpReq.signal });
        const result = await lease.session.client.request(
          { method: 'prompts/get', params: upstreamParams(params, round, offeredTo(gw, routed.server)) },
          { signal: extra.mcpReq.signal, allowInputRequired: true },
        );
        return toClient(result, round, lease.instance);
      });
    }),
  );

  server.setRequestHandler(
    'resources/read',
    handle(async (request, extra: Extra) => {
      const server = serverOfUri(gw, request.params.uri);
      const round = client.era === 'modern' ? upstreamRound(extra, gw.inputs.mint) : undefined;
      return withLease(gw, client, server, extra, round, async (lease) => {
        const params = withLogLevel(lease.session, request.params, logLevelOf(client, extra));
        if (!passesThrough(round, lease.session)) return lease.session.client.readResource(params, { signal: extra.mcpReq.signal });
        const result = await lease.session.client.request(
          { method: 'resources/read', params: upstreamParams(params, round, offeredTo(gw, server)) },
          { signal: extra.mcpReq.signal, allowInputRequired: true },
        );
        return toClient(result, round, lease.instance);
      });
    }),
  );

  server.setRequestHandler(
    'resources/subscribe',
    handle(async (request, extra: Extra) => {
      const server = serverOfUri(gw, request.params.uri);
      await withLease(gw, client, server, extra, undefined, (lease) =>
        subscribeResource(lease.session, request.params.uri, extra.mcpReq.signal),
      );
      client.subscriptions.add(request.params.uri);
      return {};
    }),
  );

  server.setRequestHandler(
    'resources/unsubscribe',
    handle(async (request, extra: Extra) => {
      client.subscriptions.delete(request.params.uri);
      const stillWanted = [...gw.clients].some((c) => c.subscriptions.has(request.params.uri)) || gw.listen.wants(request.params.uri);
      const server = gw.catalog.serverOfUri(request.params.uri);
      if (!stillWanted && server) {
        await withLease(gw, client, server, extra, undefined, (lease) =>
          unsubscribeResource(lease.session, request.params.uri, extra.mcpReq.signal),
        );
      }
      return {};
    }),
  );

  server.setRequestHandler(
    'completion/complete',
    handle(async (request, extra: Extra) => {
      const ref = request.params.ref;
      if (ref.type === 'ref/prompt') {
        const routed = gw.catalog.prompt(ref.name);
        if (!routed) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown prompt "${ref.name}"`);
        return withLease(gw, client, routed.server, extra, undefined, (lease) =>
          lease.session.client.complete({ ...request.params, ref: { ...ref, name: routed.name } }, { signal: extra.mcpReq.signal }),
        );
      }
      const server = gw.catalog.serverOfTemplate(ref.uri) ?? serverOfUri(gw, ref.uri);
      return withLease(gw, client, server, extra, undefined, (lease) =>
        lease.session.client.complete(request.params, { signal: extra.mcpReq.signal }),
      );
    }),
  );

  server.setRequestHandler(
    'logging/setLevel',
    handle(async (request) => {
      client.logLevel = request.params.level;
      // backends send at the most verbose level any live client asked for
      await gw.applyLogLevel();
      return {};
    }),
  );
}

/** Where a tool call comes from: a client session's request, or the manager's own `call` command. */
export interface CallOrigin {
  /** The calling client session (affinity, server→client requests); none for `call`. */
  client?: ClientSession;
  signal?: AbortSignal;
  sessionId?: string | undefined;
  progressToken?: ProgressToken | undefined;
  notify?: Extra['mcpReq']['notify'];
  /** The level this call's log messages are forwarded at (2026-07-28 `_meta`, else the session's). */
  logLevel?: LoggingLevel | undefined;
  context?: CallContext;
  /** A 2026-07-28 client's round: passed through to an upstream of the same era. */
  upstream?: UpstreamRound | undefined;
  /**
   * The call's progress goes to whichever round of it the client waits on (a 2026-07-28
   * client's call through the input bridge, whose `notify` sets that round's token): the
   * backend gets a token even when the first round brought none, as a later round may.
   */
  progressAnyRound?: boolean;
}

/**
 * Call a server's tool by the server's own name for it, as `mcp-manager call` does: the same
 * path as a client's call (cache, metrics, balancing, queue, failover, the call timeout).
 */
export async function callServerTool(
  gw: Gateway,
  server: string,
  tool: string,
  args: Record<string, unknown>,
  origin: CallOrigin = {},
): Promise<CallToolResult> {
  if (!gw.configOf(server)) throw new ManagerError('SERVER_NOT_FOUND', `no server named "${server}"`, { data: { server } });
  const resolve = () => {
    const publicName = gw.catalog.publicToolName(server, tool);
    return publicName === undefined ? undefined : gw.catalog.tool(publicName);
  };
  let routed = resolve();
  if (!routed) {
    const down = gw.unavailable.reasonOf(server);
    if (down !== undefined) {
      throw new ManagerError('SERVER_UNAVAILABLE', `tool "${tool}" is unavailable: server "${server}" failed: ${down}`, {
        data: { server, tool },
      });
    }
    // a server on its way up (or back) is waited for as a queued call would be
    gw.dispatcher.release(await gw.dispatcher.acquire(server, origin.signal ? { signal: origin.signal } : {}));
    routed = resolve();
  }
  if (!routed) throw new ManagerError('TOOL_NOT_FOUND', `server "${server}" has no tool "${tool}"`, { data: { server, tool } });
  return callRoutedTool(gw, routed, args, origin);
}

async function callRoutedTool(gw: Gateway, routed: RoutedTool, args: Record<string, unknown>, origin: CallOrigin): Promise<CallToolResult> {
  const run = () => callWithFailover(gw, origin, routed, isSafeToRepeat(gw, routed), args);
  const cache = gw.cacheFor(routed.server, routed.name);
  const series = gw.callMetrics?.series(routed.server, routed.name);
  if (series === undefined) return cache ? cache.get(ResultCache.key(routed.name, args), run) : run();
  const started = performance.now();
  try {
    const result = await (cache ? cache.get(ResultCache.key(routed.name, args), run) : run());
    series.record(result.isError === true ? 'tool_error' : 'ok', started);
    return result;
  } catch (error) {
    series.record('error', started);
    throw error;
  }
}

type RoutedTool = NonNullable<ReturnType<Gateway['catalog']['tool']>>;

/** The log level a request asks for: its own (2026-07-28 `_meta`), else its session's `logging/setLevel`. */
function logLevelOf(client: ClientSession, extra: Extra): LoggingLevel | undefined {
  const own = (extra.mcpReq.envelope as Record<string, unknown> | undefined)?.[LOG_LEVEL_META_KEY];
  return typeof own === 'string' ? (own as LoggingLevel) : client.logLevel;
}

/** A 2026-07-28 backend takes the level per request; a legacy one has it from `logging/setLevel`. */
function withLogLevel<P extends { _meta?: Record<string, unknown> }>(session: Session, params: P, level: LoggingLevel | undefined): P {
  if (level === undefined || session.client.getProtocolEra() !== 'modern') return params;
  return { ...params, _meta: { ...params._meta, [LOG_LEVEL_META_KEY]: level } };
}

function serverOfUri(gw: Gateway, uri: string): string {
  const server = gw.catalog.serverOfUri(uri);
  if (!server) throw new ProtocolError(RESOURCE_NOT_FOUND, `resource not found: ${uri}`, { uri });
  return server;
}

/** Read-only or idempotent tools, and those listed in `retry_tools`, may run again elsewhere. */
export function isSafeToRepeat(
  gw: Gateway,
  routed: { server: string; name: string; tool: { annotations?: { readOnlyHint?: boolean; idempotentHint?: boolean } } },
): boolean {
  const a = routed.tool.annotations;
  return a?.readOnlyHint === true || a?.idempotentHint === true || (gw.configOf(routed.server)?.retryTools.includes(routed.name) ?? false);
}

/** What the gateway offers a server's requests to the client (`client_capabilities`). */
function offeredTo(gw: Gateway, server: string) {
  return gw.configOf(server)?.clientCapabilities ?? { sampling: false, elicitation: false, roots: false };
}

async function withLease<T>(
  gw: Gateway,
  client: ClientSession,
  server: string,
  extra: Extra,
  round: UpstreamRound | undefined,
  fn: (lease: Lease) => Promise<T>,
): Promise<T> {
  const lease = await gw.dispatcher.acquire(server, {
    affinityKey: client.id,
    signal: extra.mcpReq.signal,
    ...(round?.handle ? { prefer: round.handle.i } : {}),
  });
  const untrack = gw.trackCall(lease.instance, callContext(client, extra));
  try {
    return await fn(lease);
  } finally {
    untrack();
    gw.dispatcher.release(lease);
  }
}

function callContext(client: ClientSession, extra: Extra): CallContext {
  return {
    offersRoots: () => client.server.getClientCapabilities()?.roots !== undefined,
    sendRequest: (request, options) => extra.mcpReq.send(request, options),
  };
}

async function callWithFailover(
  gw: Gateway,
  origin: CallOrigin,
  routed: { server: string; name: string; tool: Pick<Tool, 'inputSchema'> },
  safe: boolean,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  const { server, name: tool } = routed;
  const tried = new Set<string>();
  const replicas = gw.configOf(server)?.replicas ?? 1;
  const maxAttempts = replicas + 1;
  const { client, signal, progressToken, notify } = origin;
  const who = { client: client?.id ?? 'control', session: origin.sessionId ?? null };
  for (let attempt = 1; ; attempt++) {
    const lease = await gw.dispatcher.acquire(server, {
      ...(client ? { affinityKey: client.id } : {}),
      ...(origin.upstream?.handle ? { prefer: origin.upstream.handle.i } : {}),
      exclude: tried,
      ...(signal ? { signal } : {}),
    });
    const untrack = origin.context ? gw.trackCall(lease.instance, origin.context) : () => undefined;
    const writtenBefore = lease.session.written;
    // progress goes out in order, and all of it before the result
    let progressSent: Promise<void> = Promise.resolve();
    const wantsProgress = notify !== undefined && (progressToken !== undefined || origin.progressAnyRound === true);
    const backendToken = wantsProgress ? `${who.client}:${++progressCounter}` : undefined;
    if (backendToken !== undefined) {
      lease.session.progress.set(backendToken, ({ progress, total, message }) => {
        const params = {
          // (through the input bridge the token becomes that of the round the client waits on)
          progressToken: progressToken ?? backendToken,
          progress,
          ...(total === undefined ? {} : { total }),
          ...(message === undefined ? {} : { message }),
        };
        progressSent = progressSent.then(() => notify!({ method: 'notifications/progress', params })).catch(() => undefined);
      });
    }
    try {
      let params = withLogLevel(
        lease.session,
        { name: tool, arguments: args, ...(backendToken === undefined ? {} : { _meta: { progressToken: backendToken } }) },
        origin.logLevel,
      );
      const options = { ...(signal ? { signal } : {}), timeout: CALL_TIMEOUT_MS };
      if (lease.session.client.getProtocolEra() !== 'modern') {
        const result = await lease.session.client.request({ method: 'tools/call', params }, options);
        await progressSent;
        return result;
      }
      // a modern client's input rounds pass through to a modern upstream
      const upstream = passesThrough(origin.upstream, lease.session) ? origin.upstream : undefined;
      if (upstream) params = upstreamParams(params, upstream, offeredTo(gw, server));
      // callTool mirrors the tool's x-mcp-header arguments into Mcp-Param-* headers (its
      // output is not checked here: the definition carries no outputSchema)
      const result = await lease.session.client.callTool(params, {
        ...options,
        toolDefinition: { name: tool, inputSchema: routed.tool.inputSchema },
        ...(upstream ? { allowInputRequired: true } : {}),
      });
      await progressSent;
      return (upstream ? await toClient(result, upstream, lease.instance) : result) as CallToolResult;
    } catch (error) {
      // nothing went out on this connection since the call was dispatched: it never reached the server
      const notDelivered = isNotDelivered(error) || (isConnectionLost(error) && lease.session.written === writtenBefore);
      const lost = notDelivered || isConnectionLost(error) || !lease.session.transport.running;
      if (!lost || signal?.aborted === true) throw error;
      if (!safe && !notDelivered) {
        gw.logger.warn(
          { server, tool, instance: lease.instance, ...who },
          'call lost: its instance went away and the tool is not marked safe to repeat',
        );
        throw new ManagerError(
          'CALL_NOT_RETRIED',
          `server "${server}" (instance ${lease.instance}) went away during the call to "${tool}"; not retried because the tool is not marked read-only or idempotent (list it in retry_tools if it is safe to repeat)`,
          { data: { server, tool, instance: lease.instance } },
        );
      }
      // a call that never went out may try a few more times than one that did
      if (attempt >= (notDelivered ? maxAttempts + NOT_DELIVERED_EXTRA_ATTEMPTS : maxAttempts)) {
        gw.logger.warn(
          { server, tool, instance: lease.instance, ...who, attempt },
          'call lost: every attempt found its instance going away',
        );
        throw new ManagerError('SERVER_UNAVAILABLE', `server "${server}" went away during the call to "${tool}", ${attempt} times`, {
          data: { server, tool },
        });
      }
      // with replicas, go elsewhere; a lone instance is waited for while it restarts
      if (replicas > 1) tried.add(lease.instance);
      // the connection is on its way out: let it finish going, so the retry waits for its successor
      else await settledWithin(lease.session.exited, EXIT_WAIT_MS, { ref: false });
      gw.logger.info({ server, tool, instance: lease.instance, attempt }, 'instance went away during a call; retrying (safe to repeat)');
    } finally {
      if (backendToken !== undefined) lease.session.progress.delete(backendToken);
      untrack();
      gw.dispatcher.release(lease);
    }
  }
}

/** Makes the progress tokens we send to backends unique within this process. */
let progressCounter = 0;
