/**
 * The gateway: one MCP endpoint for every server. Each client session gets its own
 * low-level SDK `Server`; all share the catalog, the dispatcher and the router's table.
 * Backends' notifications and server→client requests are routed back to the right
 * client session.
 */
import { randomUUID } from 'node:crypto';
import { McpServer, ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import type {
  LoggingLevel,
  McpRequestContext,
  ServerNotification,
  ServerNotifier,
  ServerRequest,
  Transport,
} from '@modelcontextprotocol/server';
import type { ActorRefFrom } from 'xstate';
import type { RoutePolicy, routerMachine } from '../../machines/router.machine.js';
import type { ServerConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { CallMetrics } from '../metrics/calls.js';
import { subscribeResource, unsubscribeResource, type BackendHooks, type Session, type SessionRegistry } from '../server-actor/session.js';
import { ResultCache } from './cache.js';
import { Catalog } from './catalog.js';
import { UnavailableTools } from './unavailable.js';
import { Dispatcher } from './dispatch.js';
import { Forwarding } from './forward.js';
import { registerHandlers } from './handlers.js';
import { canAskRoots, unionOfRoots, type ReachableTransport } from './roots.js';
import type { CallContext, ClientSession, Era, GatewayCore } from './types.js';
import { aggregateCapabilities, aggregateInstructions, offeredOnly } from './modern/discover.js';
import { InputBridge } from './modern/input-bridge.js';
import { ListenResources } from './modern/listen.js';
import { CatalogMcpServer } from './modern/param-headers.js';

export type { CallContext, ClientSession, Era } from './types.js';

export interface GatewayOptions {
  router: ActorRefFrom<typeof routerMachine>;
  sessions: SessionRegistry;
  configOf(server: string): ServerConfig | undefined;
  logger: Logger;
  serverInfo: { name: string; version: string };
}

const LEVELS: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** A legacy-era backend that logs: it takes `logging/setLevel` (2026-07-28 ones get the level per request). */
function isLegacyLogger(session: Session): boolean {
  return session.capabilities.logging !== undefined && session.client.getProtocolEra() !== 'modern';
}

export function policyOf(config: ServerConfig): RoutePolicy {
  return {
    loadBalancing: config.loadBalancing,
    sessionAffinity: config.sessionAffinity,
    maxConcurrentRequests: config.maxConcurrentRequests,
    queueTimeoutMs: config.queueTimeoutMs,
    maxQueuedRequests: config.maxQueuedRequests,
    retryTools: config.retryTools,
  };
}

export class Gateway implements GatewayCore {
  readonly catalog: Catalog;
  readonly dispatcher: Dispatcher;
  readonly clients = new Set<ClientSession>();
  /** Tools of failed servers, answered with the failure reason for a while. */
  readonly unavailable = new UnavailableTools();
  /** Calls in flight per backend instance: where its server→client requests go. */
  readonly activeCalls = new Map<string, Set<CallContext>>();
  private readonly caches = new Map<string, ResultCache>();
  /** Modern clients' input rounds: calls waiting for a client's retry. */
  readonly inputs: InputBridge;
  /** Upstream resource subscriptions held for `subscriptions/listen` streams. */
  readonly listen: ListenResources;
  /** Where list changes and resource updates reach modern HTTP listen streams. */
  readonly listenStreams = new Set<ServerNotifier>();
  /** Tool-call metrics, when the manager records them (set by the composition root). */
  callMetrics: CallMetrics | undefined;
  /** Backend sessions already told the clients' log level and subscriptions. */
  private readonly primed = new WeakSet<Session>();
  /** The tools/call forwarding path beside the SDK's handlers (forward.ts). */
  readonly forwarding = new Forwarding(this);

  constructor(readonly options: GatewayOptions) {
    this.catalog = new Catalog({ logger: options.logger });
    this.dispatcher = new Dispatcher(options.router, options.sessions);
    this.catalog.onChange((kinds) => this.broadcastListChanged(kinds));
    this.inputs = new InputBridge({ logger: options.logger });
    this.listen = new ListenResources(
      {
        subscribe: (uri) => this.onUpstreamOf(uri, (session) => subscribeResource(session, uri)),
        unsubscribe: (uri) => this.onUpstreamOf(uri, (session) => unsubscribeResource(session, uri)),
        heldElsewhere: (uri) => [...this.clients].some((c) => c.subscriptions.has(uri)),
      },
      options.logger,
    );
  }

  private async onUpstreamOf(uri: string, fn: (session: Session) => Promise<unknown>): Promise<void> {
    const server = this.catalog.serverOfUri(uri);
    if (!server) throw new Error(`no server serves ${uri}`);
    const lease = await this.dispatcher.acquire(server);
    try {
      await fn(lease.session);
    } finally {
      this.dispatcher.release(lease);
    }
  }

  get logger(): Logger {
    return this.options.logger;
  }

  get serverInfo(): { name: string; version: string } {
    return this.options.serverInfo;
  }

  configOf(server: string): ServerConfig | undefined {
    return this.options.configOf(server);
  }

  /** The opt-in result cache of a server's tool, if configured for it. */
  cacheFor(server: string, tool: string): ResultCache | undefined {
    const config = this.configOf(server)?.cache;
    if (!config?.tools.includes(tool)) return undefined;
    let cache = this.caches.get(server);
    if (!cache) {
      cache = new ResultCache(config.ttlMs);
      this.caches.set(server, cache);
    }
    return cache;
  }

  /** A server (re)appeared with a fresh catalog, changed its lists, or went down. */
  refreshServer(server: string, session: Session | undefined): void {
    this.caches.get(server)?.clear();
    if (session) this.unavailable.forget(server);
    if (session) this.catalog.setServer(server, session.catalog, this.configOf(server)?.prefix);
    else this.catalog.removeServer(server);
    if (session && !this.primed.has(session)) {
      this.primed.add(session);
      this.prime(session);
    }
  }

  /** The most verbose level any live client asked for (undefined: none asked). */
  logLevel(): LoggingLevel | undefined {
    let best: number | undefined;
    for (const client of this.clients) {
      if (client.logLevel === undefined) continue;
      const index = LEVELS.indexOf(client.logLevel);
      if (best === undefined || index < best) best = index;
    }
    return best === undefined ? undefined : LEVELS[best];
  }

  /** Tell every legacy-era backend that logs the clients' most verbose level. */
  async applyLogLevel(): Promise<void> {
    const level = this.logLevel();
    if (level === undefined) return;
    await Promise.allSettled(
      this.options.sessions
        .all()
        .filter((s) => isLegacyLogger(s))
        .map((s) => s.client.setLoggingLevel(level)),
    );
  }

  /**
   * A new backend session (first start or restart): give it what the clients asked of its
   * predecessor, the log level and the resource subscriptions, so updates keep coming.
   */
  private prime(session: Session): void {
    const failed = (what: string) => (error: unknown) =>
      this.logger.debug(
        { err: error instanceof Error ? error.message : String(error), server: session.instance },
        `could not re-send ${what} to a server`,
      );
    const level = this.logLevel();
    if (level !== undefined && isLegacyLogger(session)) session.client.setLoggingLevel(level).catch(failed('the log level'));
    if (!session.capabilities.resources?.subscribe) return;
    const uris = new Set<string>();
    for (const client of this.clients)
      for (const uri of client.subscriptions) if (this.catalog.serverOfUri(uri) === session.server) uris.add(uri);
    for (const uri of this.listen.held()) if (this.catalog.serverOfUri(uri) === session.server) uris.add(uri);
    for (const uri of uris) subscribeResource(session, uri).catch(failed('a resource subscription'));
  }

  /** Every instance of `server` failed: drop its tools, answering calls to them with `reason` for a while. */
  serverFailed(server: string, reason: string): void {
    const names = this.catalog
      .tools()
      .map((t) => t.name)
      .filter((name) => this.catalog.tool(name)?.server === server);
    this.unavailable.remember(server, names, reason);
    this.refreshServer(server, undefined);
  }

  /** Connect a new 2025-era client session over any transport (stdio, HTTP). */
  async connect(transport: Transport): Promise<ClientSession> {
    const client = this.openClient('legacy');
    await client.server.connect(transport);
    this.forwarding.attach(() => client, transport);
    return client;
  }

  /**
   * For the SDK's serving entries: a server per modern HTTP request (`perRequest`, not
   * tracked as a client), or per stdio connection in the era its first message chose.
   */
  serverFactory(perRequest: boolean): (ctx: McpRequestContext) => Server | McpServer {
    return (ctx) => this.open(ctx.era, perRequest).product;
  }

  /**
   * A client session's server, not connected yet. A modern HTTP request's server offers
   * what the catalog can serve now (its `server/discover`); a connection, which outlives
   * catalog changes, is offered every family.
   */
  openClient(era: Era, perRequest = false): ClientSession {
    return this.open(era, perRequest).client;
  }

  /**
   * A client session and what serves it: a modern HTTP request is served by an `McpServer`
   * whose tools are the catalog's, so the SDK checks its `Mcp-Param-*` headers.
   */
  private open(era: Era, perRequest: boolean): { client: ClientSession; product: Server | McpServer } {
    const backends = this.options.sessions.all();
    const instructions = era === 'modern' ? aggregateInstructions(backends) : undefined;
    const options = {
      capabilities:
        era === 'modern' && perRequest
          ? aggregateCapabilities(backends)
          : {
              tools: { listChanged: true },
              prompts: { listChanged: true },
              resources: { listChanged: true, subscribe: true },
              logging: {},
              completions: {},
            },
      ...(instructions === undefined ? {} : { instructions }),
      requestState: { verify: this.inputs.verify },
    };
    const product =
      era === 'modern' && perRequest
        ? new CatalogMcpServer(this.options.serverInfo, options, (name) => this.catalog.tool(name)?.tool.inputSchema)
        : new Server(this.options.serverInfo, options);
    const server = product instanceof McpServer ? product.server : product;
    const client: ClientSession = { id: randomUUID(), era, server, logLevel: undefined, subscriptions: new Set() };
    registerHandlers(perRequest ? offeredOnly(server) : server, client, this);
    if (perRequest) return { client, product };
    // the roots backends see are the union of the clients': a change of any is a change of all
    const offersRoots = () => server.getClientCapabilities()?.roots !== undefined;
    server.setNotificationHandler('notifications/roots/list_changed', () => this.rootsChanged());
    server.oninitialized = () => {
      if (!offersRoots()) return;
      // over HTTP the client is reachable only once its GET stream is open
      if (server.transport) (server.transport as ReachableTransport).onstreamopen = () => this.rootsChanged();
      if (canAskRoots(client)) this.rootsChanged();
    };
    server.onclose = () => {
      const hadLevel = client.logLevel !== undefined;
      this.clients.delete(client);
      // the most verbose level may have left with it
      if (hadLevel) void this.applyLogLevel();
      this.dispatcher.forgetAffinity(client.id);
      if (offersRoots()) this.rootsChanged();
    };
    server.onerror = (error) => this.logger.debug({ err: error.message, client: client.id }, 'client connection error');
    this.clients.add(client);
    return { client, product };
  }

  async close(): Promise<void> {
    this.catalog.close();
    this.inputs.close();
    this.forwarding.close();
    await Promise.allSettled([...this.clients].map((c) => c.server.close()));
    this.clients.clear();
  }

  /** Track a call so its backend's server→client requests find the calling client. */
  trackCall(instance: string, context: CallContext): () => void {
    const calls = this.activeCalls.get(instance) ?? new Set();
    calls.add(context);
    this.activeCalls.set(instance, calls);
    return () => {
      calls.delete(context);
      if (calls.size === 0) this.activeCalls.delete(instance);
    };
  }

  readonly hooks: BackendHooks = {
    request: async (session, request, signal) => {
      const calls = this.activeCalls.get(session.instance);
      // the most recent call on that instance is the one the request belongs to
      const call = calls ? [...calls].at(-1) : this.forwarding.latestCall(session);
      // roots: the calling client's when it offers them; else (no call, or a client without
      // roots: the request may not even belong to that call) the union of every client's
      if (request.method === 'roots/list' && call?.offersRoots() !== true) {
        return unionOfRoots(this.clients, signal);
      }
      if (!call) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `${request.method} from server "${session.server}": no client call is in progress to send it to`,
        );
      }
      return await call.sendRequest(request as ServerRequest, { signal });
    },
    notification: (session, notification) => {
      if (notification.method === 'notifications/message') this.forwardLog(session, notification.params ?? {});
      else if (notification.method === 'notifications/resources/updated') this.forwardResourceUpdated(notification.params ?? {});
    },
    catalogChanged: (session) => this.refreshServer(session.server, session),
  };

  /** Tell every backend that the roots changed (it may ask `roots/list` again). */
  private rootsChanged(): void {
    for (const session of this.options.sessions.all()) {
      if (!session.client.transport || !this.configOf(session.server)?.clientCapabilities.roots) continue;
      session.client.sendRootsListChanged().catch((error: unknown) => {
        this.logger.debug(
          { err: error instanceof Error ? error.message : String(error), server: session.instance },
          'could not tell a server its roots changed',
        );
      });
    }
  }

  private forwardLog(session: Session, params: Record<string, unknown>): void {
    const level = (typeof params.level === 'string' ? params.level : 'info') as LoggingLevel;
    const logger = typeof params.logger === 'string' ? `${session.server}/${params.logger}` : session.server;
    for (const client of this.clients) {
      // the 2026-07-28 era has no unsolicited log messages
      if (client.era === 'modern') continue;
      if (client.logLevel && LEVELS.indexOf(level) < LEVELS.indexOf(client.logLevel)) continue;
      this.notify(client, { method: 'notifications/message', params: { ...params, level, logger } } as ServerNotification);
    }
  }

  private forwardResourceUpdated(params: Record<string, unknown>): void {
    const uri = typeof params.uri === 'string' ? params.uri : undefined;
    if (!uri) return;
    const listened = this.listen.wants(uri);
    for (const client of this.clients) {
      // a modern stdio connection's own listen streams pick what they asked for
      if (client.subscriptions.has(uri) || (listened && client.era === 'modern'))
        this.notify(client, { method: 'notifications/resources/updated', params: { uri } });
    }
    if (listened) for (const streams of this.listenStreams) streams.resourceUpdated(uri);
  }

  private broadcastListChanged(kinds: ReadonlySet<string>): void {
    for (const streams of this.listenStreams) {
      if (kinds.has('tools')) streams.toolsChanged();
      if (kinds.has('prompts')) streams.promptsChanged();
      if (kinds.has('resources')) streams.resourcesChanged();
    }
    for (const client of this.clients) {
      if (kinds.has('tools')) this.notify(client, { method: 'notifications/tools/list_changed' });
      if (kinds.has('prompts')) this.notify(client, { method: 'notifications/prompts/list_changed' });
      if (kinds.has('resources')) this.notify(client, { method: 'notifications/resources/list_changed' });
    }
  }

  private notify(client: ClientSession, notification: ServerNotification): void {
    if (!client.server.transport) return;
    client.server.notification(notification).catch((error: unknown) => {
      this.logger.debug({ err: error instanceof Error ? error.message : String(error), client: client.id }, 'could not notify client');
    });
  }
}
