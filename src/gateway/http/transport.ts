import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AuthInfo, Transport, TransportSendOptions, JSONRPCMessage, MessageExtraInfo, RequestId } from '@modelcontextprotocol/server';
import type { Logger } from '../../logger.js';
import { isRequestMessage, isResponseMessage, isRequestId } from './jsonrpc.js';
import { RpcCode, SESSION_HEADER, SSE_HEADERS, sendEmpty, sendJson, sendRpcError, sendSessionNotFound, sseEvent } from './reply.js';

export interface HttpSessionTransportOptions {
  sessionId: string;
  logger: Logger;
  /** Runs once when the transport closes, before `onclose`: the listener forgets the session. */
  onClosed?: (transport: HttpSessionTransport) => void;
}

/** The SDK's `ErrorCode.ConnectionClosed`: what unanswered requests get when the session ends. */
const CONNECTION_CLOSED = -32000;

/**
 * The HTTP reply to one POST that carried requests. It stays a plain JSON reply while only
 * final responses arrive, and turns into an SSE stream as soon as a message related to one
 * of its requests (progress, log, a server→client request) comes before that response.
 */
class PostReply {
  private readonly open: Set<RequestId>;
  private readonly held: JSONRPCMessage[] = [];
  private streaming = false;
  done = false;

  constructor(
    private readonly res: ServerResponse,
    ids: readonly RequestId[],
    private readonly batch: boolean,
    private readonly headers: OutgoingHttpHeaders,
  ) {
    this.open = new Set(ids);
  }

  /** Requests of this POST still waiting for their response. */
  openIds(): Iterable<RequestId> {
    return this.open;
  }

  /** A message related to one of the requests, sent before its response. */
  related(message: JSONRPCMessage): void {
    if (this.done) return;
    if (!this.streaming) this.startStream();
    this.res.write(sseEvent(message));
  }

  /** The final response to request `id`; none when the request was cancelled. */
  settle(id: RequestId, response: JSONRPCMessage | undefined): void {
    if (this.done || !this.open.delete(id)) return;
    const last = this.open.size === 0;
    if (last) this.done = true;
    if (this.streaming) {
      if (response) this.res.write(sseEvent(response));
      if (last) this.res.end();
      return;
    }
    if (response) this.held.push(response);
    if (!last) return;
    if (this.held.length === 0) {
      // Every request was cancelled: an event stream that ends without a response.
      this.startStream();
      this.res.end();
    } else {
      sendJson(this.res, 200, this.batch ? this.held : this.held[0], this.headers);
    }
  }

  /** Answer every open request with the same error (the session ended). */
  fail(code: number, message: string): void {
    for (const id of [...this.open]) this.settle(id, { jsonrpc: '2.0', id, error: { code, message } });
  }

  private startStream(): void {
    this.streaming = true;
    if (this.res.headersSent) return;
    this.res.writeHead(200, { ...SSE_HEADERS, ...this.headers });
    for (const message of this.held) this.res.write(sseEvent(message));
    this.held.length = 0;
  }
}

/**
 * Server side of MCP Streamable HTTP for one session, written directly on node:http.
 * The listener validates each HTTP request (security, session, body) and hands it over.
 *
 * Routing of what the server sends:
 * - a response goes to the POST that carried its request;
 * - a message with `relatedRequestId` goes to that request's POST (switching it to SSE),
 *   or is dropped when that POST is gone or already answered;
 * - anything else goes to the standalone GET stream if one is open, else it is dropped.
 */
export class HttpSessionTransport implements Transport {
  readonly sessionId: string;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** The standalone GET stream opened: messages outside a request can reach the client now. */
  onstreamopen?: () => void;

  private readonly log: Logger;
  private readonly onClosed: ((transport: HttpSessionTransport) => void) | undefined;
  private readonly headers: OutgoingHttpHeaders;
  /** Client request id → the reply waiting for its response. */
  private readonly pending = new Map<RequestId, PostReply>();
  private standalone: ServerResponse | undefined;
  private started = false;
  private closed = false;
  private lastActivityMs = Date.now();

  constructor(options: HttpSessionTransportOptions) {
    this.sessionId = options.sessionId;
    this.log = options.logger.child({ session: options.sessionId });
    this.onClosed = options.onClosed;
    this.headers = { [SESSION_HEADER]: options.sessionId };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Client requests waiting for their response. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  get hasStandaloneStream(): boolean {
    return this.standalone !== undefined;
  }

  /** How long the session has been idle at `nowMs`: 0 while a reply or the GET stream is open. */
  idleMs(nowMs: number): number {
    if (this.pending.size > 0 || this.standalone !== undefined) return 0;
    return nowMs - this.lastActivityMs;
  }

  start(): Promise<void> {
    if (this.started) return Promise.reject(new Error('HttpSessionTransport already started'));
    this.started = true;
    return Promise.resolve();
  }

  /** A POST for this session whose body is a validated JSON-RPC message or batch. */
  handlePost(req: IncomingMessage, res: ServerResponse, body: JSONRPCMessage | JSONRPCMessage[], authInfo?: AuthInfo): void {
    this.lastActivityMs = Date.now();
    if (this.closed) {
      sendSessionNotFound(res);
      return;
    }
    const messages = Array.isArray(body) ? body : [body];
    const extra = messageExtra(authInfo);
    let ids: RequestId[] | undefined;
    for (const message of messages) if (isRequestMessage(message)) (ids ??= []).push(message.id);

    if (ids === undefined) {
      sendEmpty(res, 202, this.headers);
      this.deliver(messages, extra);
      return;
    }
    const clash = ids.find((id, i) => this.pending.has(id) || ids.indexOf(id) !== i);
    if (clash !== undefined) {
      this.log.debug({ id: clash }, 'request id already in flight');
      sendRpcError(res, 400, RpcCode.INVALID_REQUEST, `Invalid Request: request id ${JSON.stringify(clash)} is already in flight`);
      return;
    }
    const reply = new PostReply(res, ids, Array.isArray(body), this.headers);
    for (const id of ids) this.pending.set(id, reply);
    if (res.destroyed) this.abandon(reply);
    else res.once('close', () => this.abandon(reply));
    this.deliver(messages, extra);
  }

  /** The standalone SSE stream for server-initiated messages (one per session). */
  handleGet(_req: IncomingMessage, res: ServerResponse): void {
    this.lastActivityMs = Date.now();
    if (this.closed) {
      sendSessionNotFound(res);
      return;
    }
    if (this.standalone !== undefined) {
      sendRpcError(res, 409, RpcCode.SERVER_ERROR, 'Conflict: only one SSE stream is allowed per session');
      return;
    }
    res.writeHead(200, { ...SSE_HEADERS, ...this.headers });
    res.flushHeaders();
    this.standalone = res;
    res.once('close', () => {
      if (this.standalone === res) this.standalone = undefined;
      this.lastActivityMs = Date.now();
    });
    this.onstreamopen?.();
  }

  /** Ends the session; later requests with its id get 404 from the listener. */
  handleDelete(_req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) {
      sendSessionNotFound(res);
      return;
    }
    this.closeNow();
    sendEmpty(res, 200);
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (isResponseMessage(message)) {
      const id = (message as { id?: unknown }).id;
      const reply = isRequestId(id) ? this.pending.get(id) : undefined;
      if (reply === undefined || !isRequestId(id)) {
        this.log.debug({ id }, 'response dropped: its request is no longer waiting');
      } else {
        this.pending.delete(id);
        reply.settle(id, message);
      }
      return Promise.resolve();
    }
    const related = options?.relatedRequestId;
    if (related !== undefined) {
      const reply = this.pending.get(related);
      if (reply === undefined) this.log.debug({ relatedRequestId: related }, 'message dropped: its request is no longer waiting');
      else reply.related(message);
      return Promise.resolve();
    }
    this.standalone?.write(sseEvent(message));
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closeNow();
    return Promise.resolve();
  }

  private closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    const replies = new Set(this.pending.values());
    this.pending.clear();
    for (const reply of replies) reply.fail(CONNECTION_CLOSED, 'Session closed');
    const stream = this.standalone;
    this.standalone = undefined;
    stream?.end();
    this.log.debug('session closed');
    this.onClosed?.(this);
    this.onclose?.();
  }

  private deliver(messages: readonly JSONRPCMessage[], extra: MessageExtraInfo): void {
    for (const message of messages) {
      try {
        this.onmessage?.(message, extra);
      } catch (error) {
        this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      }
      if ('method' in message && message.method === 'notifications/cancelled') this.cancelled(message.params);
    }
  }

  /** A cancelled request gets no response, but its POST must still end. */
  private cancelled(params: unknown): void {
    const id = (params as { requestId?: unknown } | undefined)?.requestId;
    if (!isRequestId(id)) return;
    const reply = this.pending.get(id);
    if (reply === undefined) return;
    this.pending.delete(id);
    reply.settle(id, undefined);
  }

  /** The client went away before all responses were written: forget its requests. */
  private abandon(reply: PostReply): void {
    if (reply.done) return;
    reply.done = true;
    let count = 0;
    for (const id of reply.openIds()) {
      if (this.pending.get(id) === reply) this.pending.delete(id);
      count++;
    }
    this.log.debug({ requests: count }, 'client disconnected before its responses were sent');
  }
}

/** What handlers see of the HTTP request: the bearer token's info, when there is one. */
function messageExtra(authInfo: AuthInfo | undefined): MessageExtraInfo {
  return authInfo === undefined ? {} : { authInfo };
}
