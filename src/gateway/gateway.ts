/**
 * The gateway: one MCP endpoint for every server. Each client session gets its own
 * low-level SDK `Server`; all share the catalog, the dispatcher and the router's table.
 * Backends' notifications and server→client requests are routed back to the right
 * client session.
 */
import { randomUUID } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import type { LoggingLevel, ServerNotification, ServerRequest, Transport } from '@modelcontextprotocol/server';
import type { ActorRefFrom } from 'xstate';
import type { RoutePolicy, routerMachine } from '../../machines/router.machine.js';
import type { ServerConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { CallMetrics } from '../metrics/calls.js';
import type { BackendHooks, Session, SessionRegistry } from '../server-actor/session.js';
import { ResultCache } from './cache.js';
import { Catalog } from './catalog.js';
import { UnavailableTools } from './unavailable.js';
import { Dispatcher } from './dispatch.js';
import { Forwarding } from './forward.js';
import { registerHandlers } from './handlers.js';
import { canAskRoots, unionOfRoots, type ReachableTransport } from './roots.js';

/** What a tool call's handler can do towards the client that made it. */
export interface CallContext {
  client: ClientSession;
  sendRequest: (request: ServerRequest, options?: { signal?: AbortSignal }) => Promise<Record<string, unknown>>;
}

/** One connected MCP client. */
export interface ClientSession {
  readonly id: string;
  readonly server: Server;
  /** Minimum level of forwarded log messages (logging/setLevel). */
  logLevel: LoggingLevel | undefined;
  readonly subscriptions: Set<string>;
}

export interface GatewayOptions {
  router: ActorRefFrom<typeof routerMachine>;
  sessions: SessionRegistry;
  configOf(server: string): ServerConfig | undefined;
  logger: Logger;
  serverInfo: { name: string; version: string };
}

const LEVELS: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

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

export class Gateway {
  readonly catalog: Catalog;
  readonly dispatcher: Dispatcher;
  readonly clients = new Set<ClientSession>();
  /** Tools of failed servers, answered with the failure reason for a while. */
  readonly unavailable = new UnavailableTools();
  /** Calls in flight per backend instance: where its server→client requests go. */
  readonly activeCalls = new Map<string, Set<CallContext>>();
  private readonly caches = new Map<string, ResultCache>();
  /** Tool-call metrics, when the manager records them (set by the composition root). */
  callMetrics: CallMetrics | undefined;
  /** The tools/call forwarding path beside the SDK's handlers (forward.ts). */
  readonly forwarding = new Forwarding(this);

  constructor(readonly options: GatewayOptions) {
    this.catalog = new Catalog({ logger: options.logger });
    this.dispatcher = new Dispatcher(options.router, options.sessions);
    this.catalog.onChange((kinds) => this.broadcastListChanged(kinds));
  }

  get logger(): Logger {
    return this.options.logger;
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

  /** Connect a new client session over any transport (stdio, HTTP). */
  async connect(transport: Transport): Promise<ClientSession> {
    const server = new Server(this.options.serverInfo, {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { listChanged: true, subscribe: true },
        logging: {},
        completions: {},
      },
    });
    const client: ClientSession = { id: randomUUID(), server, logLevel: undefined, subscriptions: new Set() };
    registerHandlers(server, client, this);
    // the roots backends see are the union of the clients': a change of any is a change of all
    const offersRoots = () => server.getClientCapabilities()?.roots !== undefined;
    server.setNotificationHandler('notifications/roots/list_changed', () => this.rootsChanged());
    server.oninitialized = () => {
      if (!offersRoots()) return;
      // over HTTP the client is reachable only once its GET stream is open
      (transport as ReachableTransport).onstreamopen = () => this.rootsChanged();
      if (canAskRoots(client)) this.rootsChanged();
    };
    server.onclose = () => {
      this.clients.delete(client);
      this.dispatcher.forgetAffinity(client.id);
      if (offersRoots()) this.rootsChanged();
    };
    server.onerror = (error) => this.logger.debug({ err: error.message, client: client.id }, 'client connection error');
    this.clients.add(client);
    await server.connect(transport);
    this.forwarding.attach(client, transport);
    return client;
  }

  async close(): Promise<void> {
    this.catalog.close();
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
      if (request.method === 'roots/list' && call?.client.server.getClientCapabilities()?.roots === undefined) {
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
      if (!session.client.transport) continue;
      session.client.sendRootsListChanged().catch((error: unknown) => {
        this.logger.debug({ err: error instanceof Error ? error.message : String(error), server: session.instance }, 'could not tell a server its roots changed');
      });
    }
  }

  private forwardLog(session: Session, params: Record<string, unknown>): void {
    const level = (typeof params.level === 'string' ? params.level : 'info') as LoggingLevel;
    const logger = typeof params.logger === 'string' ? `${session.server}/${params.logger}` : session.server;
    for (const client of this.clients) {
      if (client.logLevel && LEVELS.indexOf(level) < LEVELS.indexOf(client.logLevel)) continue;
      this.notify(client, { method: 'notifications/message', params: { ...params, level, logger } } as ServerNotification);
    }
  }

  private forwardResourceUpdated(params: Record<string, unknown>): void {
    const uri = typeof params.uri === 'string' ? params.uri : undefined;
    if (!uri) return;
    for (const client of this.clients) {
      if (client.subscriptions.has(uri)) this.notify(client, { method: 'notifications/resources/updated', params: { uri } });
    }
  }

  private broadcastListChanged(kinds: ReadonlySet<string>): void {
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
