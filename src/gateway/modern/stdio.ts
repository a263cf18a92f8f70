/**
 * The gateway on stdio in both eras: the SDK's stdio entry reads the first message and
 * pins the connection to one era (an `initialize` → 2025-11-25; a request carrying the
 * per-request envelope → 2026-07-28), on our own bounded stdio endpoint. A
 * `subscriptions/listen` asking for resource updates subscribes the upstreams first and
 * is acknowledged only the URIs they accepted.
 */
import type { JSONRPCMessage, McpServerFactory, Transport, TransportSendOptions, MessageExtraInfo } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Logger } from '../../logger.js';
import type { ListenSubscriptions } from './http-leg.js';

export interface StdioServing {
  close(): Promise<void>;
}

export function serveBothEras(
  endpoint: Transport,
  factory: McpServerFactory,
  options: { subscribe?: (uris: string[]) => Promise<ListenSubscriptions>; logger: Logger },
): StdioServing {
  const transport = options.subscribe ? new ListenNarrowing(endpoint, options.subscribe) : endpoint;
  return serveStdio(factory, {
    transport,
    onerror: (error) => options.logger.debug({ err: error.message }, 'stdio client: message refused or failed'),
  });
}

/**
 * Between the endpoint and the SDK's entry: holds a `subscriptions/listen` until its
 * resource URIs are subscribed upstream (later messages wait behind it, in order), and
 * lets go of them when the client cancels the stream or the connection ends.
 */
class ListenNarrowing implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  private queue: Promise<void> = Promise.resolve();
  /** Listen requests still being subscribed upstream: while any is, delivery queues behind it. */
  private narrowing = 0;
  private readonly held = new Map<string | number, () => void>();

  constructor(
    private readonly inner: Transport,
    private readonly subscribe: (uris: string[]) => Promise<ListenSubscriptions>,
  ) {}

  start(): Promise<void> {
    this.inner.onmessage = (message, extra) => this.inbound(message, extra);
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onclose = () => {
      for (const release of this.held.values()) release();
      this.held.clear();
      this.onclose?.();
    };
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    // the listen stream's final result: its subscriptions end with it
    if ('id' in message && !('method' in message) && message.id !== null && message.id !== undefined) this.releaseFor(message.id);
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private inbound(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    const uris = listenUris(message);
    if (uris === undefined) {
      if ('method' in message && message.method === 'notifications/cancelled') {
        const id = (message.params as { requestId?: string | number } | undefined)?.requestId;
        if (id !== undefined) this.releaseFor(id);
      }
      if (this.narrowing === 0) this.onmessage?.(message, extra);
      else this.enqueue(() => this.onmessage?.(message, extra));
      return;
    }
    const request = message as unknown as { id: string | number; params: { notifications: Record<string, unknown> } };
    this.narrowing++;
    const narrowed = this.subscribe(uris).then((subscriptions) => {
      this.held.set(request.id, subscriptions.release);
      return {
        ...request,
        params: { ...request.params, notifications: { ...request.params.notifications, resourceSubscriptions: subscriptions.accepted } },
      } as unknown as JSONRPCMessage;
    });
    this.enqueue(async () => {
      const ready = await narrowed;
      this.narrowing--;
      this.onmessage?.(ready, extra);
    });
  }

  /** Deliver in arrival order; a failing delivery never stops the ones behind it. */
  private enqueue(deliver: () => unknown): void {
    this.queue = this.queue.then(deliver).then(
      () => undefined,
      (error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private releaseFor(id: string | number): void {
    const release = this.held.get(id);
    if (release === undefined) return;
    this.held.delete(id);
    release();
  }
}

function listenUris(message: JSONRPCMessage): string[] | undefined {
  if (!('method' in message) || message.method !== 'subscriptions/listen' || !('id' in message)) return undefined;
  const filter = (message.params as { notifications?: { resourceSubscriptions?: unknown } } | undefined)?.notifications;
  if (!Array.isArray(filter?.resourceSubscriptions)) return undefined;
  return filter.resourceSubscriptions.filter((uri): uri is string => typeof uri === 'string');
}
