/**
 * The gateway's shared shapes: a connected client, a call's way back to it, and what the
 * request handlers use of the gateway (so they need not know the class that builds them).
 */
import type { LoggingLevel, Server, ServerRequest } from '@modelcontextprotocol/server';
import type { ServerConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { CallMetrics } from '../metrics/calls.js';
import type { SessionRegistry } from '../server-actor/session.js';
import type { ResultCache } from './cache.js';
import type { Catalog } from './catalog.js';
import type { Dispatcher } from './dispatch.js';
import type { UnavailableTools } from './unavailable.js';
import type { InputBridge } from './modern/input-bridge.js';
import type { ListenResources } from './modern/listen.js';

/** What a tool call's handler can do towards the client that made it. */
export interface CallContext {
  /** Did the client declare the roots capability (else a backend's `roots/list` gets the union of every client's)? */
  offersRoots(): boolean;
  sendRequest: (request: ServerRequest, options?: { signal?: AbortSignal }) => Promise<Record<string, unknown>>;
}

/** 2025-11-25 (initialize, sessions) or 2026-07-28 (per request). */
export type Era = 'legacy' | 'modern';

/** One connected MCP client. */
export interface ClientSession {
  readonly id: string;
  readonly era: Era;
  readonly server: Server;
  /** Minimum level of forwarded log messages (logging/setLevel). */
  logLevel: LoggingLevel | undefined;
  readonly subscriptions: Set<string>;
}

/** What the request handlers use of the gateway. */
export interface GatewayCore {
  /** Who the gateway says it is (2026-07-28 results carry it). */
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly catalog: Catalog;
  readonly dispatcher: Dispatcher;
  readonly clients: ReadonlySet<ClientSession>;
  readonly unavailable: UnavailableTools;
  /** Pending input requests of 2026-07-28 clients (input_required rounds). */
  readonly inputs: InputBridge;
  /** Upstream resource subscriptions held for `subscriptions/listen` streams. */
  readonly listen: ListenResources;
  readonly callMetrics: CallMetrics | undefined;
  readonly logger: Logger;
  readonly options: { readonly sessions: SessionRegistry };
  configOf(server: string): ServerConfig | undefined;
  cacheFor(server: string, tool: string): ResultCache | undefined;
  trackCall(instance: string, context: CallContext): () => void;
  /** Sends backends the most verbose log level any live client asked for. */
  applyLogLevel(): Promise<void>;
}
