/**
 * A live connection to one server instance: our stdio transport plus the SDK client
 * that ran the handshake, with the catalog it read. The registry holds at most one
 * session per instance.
 */
import type {
  Client,
  Implementation,
  Prompt,
  Resource,
  ResourceTemplateType,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/client';
import type { ExitInfo } from '../errors.js';
import type { ProcessTransport } from '../transports/process-transport.js';
import type { UpstreamListen } from './upstream-listen.js';

/** What a server offers, as last read from it. */
export interface BackendCatalog {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplateType[];
}

export const EMPTY_CATALOG: BackendCatalog = { tools: [], prompts: [], resources: [], resourceTemplates: [] };

export interface Session {
  readonly instance: string;
  readonly server: string;
  readonly transport: ProcessTransport;
  readonly client: Client;
  /** Who the gateway says it is to this server (the envelope of a 2026-07-28 request carries it). */
  readonly clientInfo: { readonly name: string; readonly version: string };
  catalog: BackendCatalog;
  /** Messages the transport has accepted so far (a call that saw none go out was never delivered). */
  written: number;
  capabilities: ServerCapabilities;
  serverInfo: Implementation | undefined;
  /**
   * Progress listeners by the progress token we sent. Progress is read straight off the
   * transport, in order with the response (the SDK client would hand it over a tick late
   * and lose the last one).
   */
  readonly progress: Map<string | number, (params: { progress: number; total?: number; message?: string }) => void>;
  /** A 2026-07-28 server's `subscriptions/listen` streams (list changes, resource updates). */
  readonly listen?: UpstreamListen;
  /** Called after the backend said a list changed and it was re-read. */
  onCatalog?: (catalog: BackendCatalog) => void;
  /** Resolves with the exit report once the process has ended. */
  readonly exited: Promise<ExitInfo>;
  /** The stop ladder; shared by concurrent callers. */
  close(): Promise<void>;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  get(instance: string): Session | undefined {
    return this.sessions.get(instance);
  }

  set(session: Session): void {
    this.sessions.set(session.instance, session);
  }

  /** Forget the session, only if it is still the registered one. */
  delete(session: Session): void {
    if (this.sessions.get(session.instance) === session) this.sessions.delete(session.instance);
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }
}

/** What a backend asks of the client side (the gateway answers; absent → clear errors). */
export interface BackendHooks {
  /** A server→client request from a backend (sampling, elicitation, roots). */
  request(
    session: Session,
    request: { method: string; params?: Record<string, unknown> },
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
  /** A backend notification worth forwarding (logging messages, resources/updated). */
  notification(session: Session, notification: { method: string; params?: Record<string, unknown> }): void;
  /** The backend's catalog changed and was re-read. */
  catalogChanged(session: Session): void;
}

/**
 * Ask a server for updates of a resource, in its era: `resources/subscribe` on a 2025-era
 * connection, a `subscriptions/listen` stream on a 2026-07-28 one.
 */
export async function subscribeResource(session: Session, uri: string, signal?: AbortSignal): Promise<void> {
  if (session.client.getProtocolEra() !== 'modern') {
    await session.client.subscribeResource({ uri }, signal === undefined ? undefined : { signal });
    return;
  }
  if (!session.listen) throw new Error(`server "${session.server}" has no subscriptions/listen streams`);
  await session.listen.subscribe(uri, signal);
}

export async function unsubscribeResource(session: Session, uri: string, signal?: AbortSignal): Promise<void> {
  if (session.client.getProtocolEra() !== 'modern') {
    await session.client.unsubscribeResource({ uri }, signal === undefined ? undefined : { signal });
    return;
  }
  await session.listen?.unsubscribe(uri);
}
