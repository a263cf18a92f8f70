/**
 * Remote servers over HTTP: Streamable HTTP (the SDK's client transport), falling back
 * to the legacy HTTP+SSE transport when the first POST answers 400, 404 or 405, and
 * remembering per URL what worked so the next start goes straight there.
 *
 * Every request passes through `inspect`, which turns what the SDK would report vaguely
 * into clear errors (connection refused, HTML instead of MCP, a body that is not JSON)
 * and ends the transport when the session is gone for good (HTTP 404 for an established
 * session, the connection lost): the chart's restart then re-runs `initialize` with a
 * new session, with backoff.
 */
import { PROTOCOL_VERSION_META_KEY, SSEClientTransport, SseError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { FetchLike, TransportSendOptions, JSONRPCMessage } from '@modelcontextprotocol/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerError, errorMessage, type ErrorCode } from '../../errors.js';
import { REMOTE_DEFAULTS, RemoteTransport, type RemoteTransportOptions } from './base.js';
import { mediaType, networkReason, preview } from './describe.js';

export type HttpMode = 'streamable' | 'sse';

/** What the first POST may answer when the server only speaks the legacy HTTP+SSE transport. */
const FALLBACK_STATUSES = new Set([400, 404, 405]);

/** Per URL: servers that turned out to speak only legacy SSE. In memory, for this process. */
const legacyUrls = new Set<string>();

export interface HttpTransportOptions extends RemoteTransportOptions {
  /** `sse`: the legacy transport only; `http`: Streamable HTTP with fallback. */
  connectionType: 'http' | 'sse';
}

type Inner = StreamableHTTPClientTransport | SSEClientTransport;

/** fetch refuses URLs with user info: it travels as Basic auth instead (as curl sends it). */
function withoutUserInfo(url: URL, headers: Record<string, string>): { target: URL; headers: Record<string, string> } {
  if (!url.username && !url.password) return { target: url, headers };
  const target = new URL(url.href);
  target.username = '';
  target.password = '';
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return { target, headers };
  const basic = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  return { target, headers: { ...headers, Authorization: `Basic ${basic}` } };
}

function sendVia(inner: Inner, message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
  return inner instanceof StreamableHTTPClientTransport ? inner.send(message, options) : inner.send(message);
}

export class HttpRemoteTransport extends RemoteTransport {
  private readonly connectionType: 'http' | 'sse';
  private modeInUse: HttpMode;
  private inner: Inner | undefined;
  /** The session works (initialize answered, or the SSE stream gave its endpoint). */
  private established = false;
  /** The first POST answered one of FALLBACK_STATUSES. */
  private fallbackStatus: number | undefined;
  /** The last failure `inspect` found before the session was established (one request at a time then). */
  private earlyFailure: ManagerError | undefined;
  private protocolVersion: string | undefined;
  /** The URL requests go to, and their headers. */
  private readonly target: URL;
  private readonly headers: Record<string, string>;

  constructor(options: HttpTransportOptions) {
    super(options);
    ({ target: this.target, headers: this.headers } = withoutUserInfo(options.url, options.headers));
    this.connectionType = options.connectionType;
    this.modeInUse = options.connectionType === 'sse' || legacyUrls.has(this.urlKey) ? 'sse' : 'streamable';
  }

  protected get kind(): string {
    return this.modeInUse === 'sse' ? 'legacy HTTP+SSE' : 'Streamable HTTP';
  }

  /** Which HTTP transport this connection uses (after a fallback: `sse`). */
  get mode(): HttpMode {
    return this.modeInUse;
  }

  get sessionId(): string | undefined {
    return this.inner instanceof StreamableHTTPClientTransport ? this.inner.sessionId : undefined;
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
    this.inner?.setProtocolVersion?.(version);
  }

  private get urlKey(): string {
    return this.target.href;
  }

  protected async open(): Promise<void> {
    if (this.modeInUse === 'sse') {
      await this.openSse();
      return;
    }
    const inner = new StreamableHTTPClientTransport(this.target, {
      requestInit: { headers: this.headers },
      fetch: this.inspectingFetch,
      reconnectionOptions: { ...REMOTE_DEFAULTS.eventStreamReconnection },
    });
    this.attach(inner);
    await inner.start();
  }

  private async openSse(): Promise<void> {
    const inner = new SSEClientTransport(this.target, {
      requestInit: { headers: this.headers },
      fetch: this.inspectingFetch,
    });
    this.attach(inner);
    this.earlyFailure = undefined;
    try {
      await inner.start();
    } catch (error) {
      if (this.connectionType === 'http') legacyUrls.delete(this.urlKey);
      throw this.earlyFailure ?? this.failure('SERVER_UNAVAILABLE', `event stream: ${errorMessage(error)}`, error);
    }
    this.established = true;
    if (this.connectionType === 'http' && !legacyUrls.has(this.urlKey)) {
      legacyUrls.add(this.urlKey);
      this.log.info({ url: this.shownUrl }, 'server speaks only legacy HTTP+SSE; using it from now on');
    }
  }

  private attach(inner: Inner): void {
    this.inner = inner;
    if (this.protocolVersion !== undefined) inner.setProtocolVersion?.(this.protocolVersion);
    inner.onmessage = (message: JSONRPCMessage) => this.deliver(message);
    inner.onerror = (error) => this.innerError(error);
    // the SDK transports close themselves only on a broken stream
    inner.onclose = () => {
      if (this.inner === inner && this.running) this.lose('connection closed');
    };
  }

  private async detach(): Promise<void> {
    const inner = this.inner;
    this.inner = undefined;
    if (!inner) return;
    inner.onmessage = undefined;
    inner.onerror = undefined;
    inner.onclose = undefined;
    await inner.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const inner = this.inner;
    if (!inner || !this.running) throw this.unavailable();
    if (this.established) {
      try {
        await sendVia(inner, message, options);
      } catch (error) {
        throw this.explain(error);
      }
      return;
    }
    await this.sendFirst(inner, message, options);
  }

  /** The first message (initialize): where Streamable HTTP may turn out to be legacy SSE. */
  private async sendFirst(inner: Inner, message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.fallbackStatus = undefined;
    this.earlyFailure = undefined;
    try {
      await sendVia(inner, message, options);
    } catch (error) {
      const status = this.fallbackStatus;
      if (status === undefined || this.connectionType !== 'http') throw this.earlyFailure ?? this.explain(error);
      const sse = await this.fallBack(status);
      await sendVia(sse, message, options).catch((sseError: unknown) => {
        throw this.explain(sseError);
      });
      return;
    }
    this.established = true;
  }

  private async fallBack(status: number): Promise<Inner> {
    const why = `Streamable HTTP POST answered HTTP ${status}`;
    this.note(`${this.shownUrl}: ${why}; trying the legacy HTTP+SSE transport`);
    await this.detach();
    this.modeInUse = 'sse';
    try {
      await this.openSse();
    } catch (error) {
      const reason = ManagerError.is(error) && typeof error.data.reason === 'string' ? error.data.reason : errorMessage(error);
      const code: ErrorCode = ManagerError.is(error) ? error.code : 'INITIALIZE_FAILED';
      throw this.failure(code, `${why}, and the legacy SSE fallback failed: ${reason}`, error);
    }
    if (!this.inner) throw this.unavailable();
    return this.inner;
  }

  /** SDK errors become ManagerErrors naming server and URL; ours pass unchanged. */
  private explain(error: unknown): ManagerError {
    if (ManagerError.is(error)) return error;
    if (!this.running) return this.unavailable();
    return this.failure(this.established ? 'SERVER_UNAVAILABLE' : 'INITIALIZE_FAILED', errorMessage(error), error);
  }

  private innerError(error: Error): void {
    if (this.ended || this.lostReason !== undefined) return;
    // errors of the first POST come back from send(); a fallback is no error at all
    if (!this.established) return;
    if (this.modeInUse === 'sse' && error instanceof SseError) {
      this.lose(`connection lost: event stream ended (${error.message.replace(/^SSE error: /, '')})`);
      return;
    }
    if (/Maximum reconnection attempts/.test(error.message)) {
      this.lose('connection lost: the event stream could not be re-opened');
      return;
    }
    if (ManagerError.is(error)) {
      // already in the tail; still worth a warning
      this.safely(() => this.onerror?.(error));
      return;
    }
    this.report(new Error(`server "${this.serverName}": ${this.describe(error.message)}`, { cause: error }));
  }

  /** Every request of both SDK transports goes through here. */
  private readonly inspectingFetch: FetchLike = async (url, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      if (init?.signal?.aborted || this.ended) throw error;
      throw this.problem('SERVER_UNAVAILABLE', networkReason(error), error, { connection: true });
    }
    return this.inspect(method, response, init?.body);
  };

  private async inspect(method: string, response: Response, requestBody?: unknown): Promise<Response> {
    // after close(): the goodbye DELETE's answer does not matter
    if (this.ended) return response;
    const { status } = response;
    const type = mediaType(response.headers.get('content-type'));
    if (this.established && status === 404) {
      await response.body?.cancel();
      throw this.problem('SERVER_UNAVAILABLE', 'session expired (HTTP 404); reconnecting', undefined, { connection: true });
    }
    const first = method === 'POST' && !this.established && this.modeInUse === 'streamable';
    if (first && this.connectionType === 'http' && FALLBACK_STATUSES.has(status)) {
      this.fallbackStatus = status;
      return response;
    }
    if (type === 'text/html') {
      await response.body?.cancel();
      throw this.problem('INITIALIZE_FAILED', `answered HTML (status ${status}), not MCP`);
    }
    if (!response.ok) {
      // a Streamable HTTP server need not offer the GET event stream
      if (method === 'GET' && status === 405 && this.modeInUse === 'streamable') return response;
      const body = await response.text().catch(() => '');
      // a 2026-07-28 server's refusal of one request (-32020, -32021, -32022 on HTTP 400) is
      // that request's answer, for the SDK to deliver in-band, not a broken connection
      if (method === 'POST' && status === 400 && isModernRequest(requestBody) && isJsonRpcError(body)) {
        return new Response(body, { status, statusText: response.statusText, headers: response.headers });
      }
      const detail = body.trim() ? `: ${preview(body.trim())}` : '';
      throw this.problem('INITIALIZE_FAILED', `answered HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}${detail}`);
    }
    if (method === 'POST' && type === 'application/json') return this.checkedJson(response);
    return response;
  }

  /** A JSON answer that does not parse is named as such (the SDK would throw a bare SyntaxError). */
  private async checkedJson(response: Response): Promise<Response> {
    const text = await response.text();
    try {
      JSON.parse(text);
    } catch {
      throw this.problem('INITIALIZE_FAILED', `answered a body that is not JSON (status ${response.status}): ${preview(text)}`);
    }
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  /**
   * A failure found on the wire. Before the session works it is the answer to the one
   * request in flight; after, a lost connection ends the transport (the chart reconnects).
   */
  private problem(code: ErrorCode, text: string, cause?: unknown, options: { connection?: boolean } = {}): ManagerError {
    const error = this.failure(this.established && !options.connection ? 'SERVER_UNAVAILABLE' : code, text, cause);
    if (!this.established) this.earlyFailure = error;
    else if (options.connection) this.lose(text.startsWith('session expired') ? text : `connection lost: ${text}`);
    return error;
  }

  protected async release(lost: boolean): Promise<void> {
    const inner = this.inner;
    if (!lost && this.established && inner instanceof StreamableHTTPClientTransport && inner.sessionId) {
      // a polite goodbye to the server's session; a dead server must not hold up the stop
      inner.onerror = undefined;
      await Promise.race([inner.terminateSession().catch(() => undefined), sleep(REMOTE_DEFAULTS.goodbyeMs, undefined, { ref: false })]);
    }
    await this.detach();
  }
}

/** A request carrying the 2026-07-28 per-request envelope (the protocol version in `params._meta`). */
function isModernRequest(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    const message = JSON.parse(body) as { params?: { _meta?: Record<string, unknown> } } | null;
    return typeof message?.params?._meta?.[PROTOCOL_VERSION_META_KEY] === 'string';
  } catch {
    return false;
  }
}

/** A JSON-RPC error response (what a 2026-07-28 server answers a refused request with). */
function isJsonRpcError(body: string): boolean {
  try {
    const message = JSON.parse(body) as { jsonrpc?: unknown; error?: { code?: unknown } } | null;
    return message?.jsonrpc === '2.0' && typeof message.error?.code === 'number';
  } catch {
    return false;
  }
}
