/**
 * The forwarding path for `tools/call`: a client's request goes to the chosen backend as
 * one rewritten message, and the backend's response comes back with the client's id, both
 * untouched otherwise. Each message is parsed once (by the line reader or the HTTP body
 * reader) and serialized once per hop; the gateway checks what it interprets (method, id,
 * name, `_meta`) and leaves the arguments and the result to the backend and the client.
 * The only per-call state is one entry in the backend's pending table; one sweep per
 * gateway enforces the deadline.
 *
 * It sits beside the SDK, on the transports: requests it does not take (another method, a
 * progress token, a cached tool, an unknown tool, a busy server) go on to the SDK's
 * `Server` as before, and a backend's messages that are not answers to forwarded calls go
 * on to its SDK `Client`. Limits, balancing and metrics go through the same dispatcher and
 * series; failover follows the same rules as the SDK path (see handlers.ts).
 *
 * Both eras of client, to a 2025-era backend. A 2026-07-28 call (on a stdio connection of
 * that era, or one HTTP POST the SDK's classifier called modern) is taken in its first
 * round when nothing in it needs the SDK: no `requestState` or answers, no task, no log
 * level, a client that declared no input capability (so the input bridge has nothing to
 * relay) and, over HTTP, standard headers that plainly agree with the body and a tool
 * without `Mcp-Param-*` headers; anything else, and every rejection, is the SDK's to
 * answer. Its answer is stamped as the SDK stamps that era's results (`resultType`,
 * `serverInfo`). A backend asking such a client for input gets the bridge's refusal and
 * the call fails with the spec's missing-capability error, as on the SDK path.
 *
 * Both eras of client, to a 2026-07-28 backend offered no input capability (the default):
 * the call goes under the gateway's own envelope, as its SDK client would send it. A
 * 2026-07-28 client's answer comes back as the backend gave it (an `input_required` round
 * inside a gateway-issued handle); a 2025 client's loses its `resultType`, as the SDK
 * client decodes it, and a result that decoding would refuse becomes the same error.
 */
import type { ServerResponse } from 'node:http';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  LOG_LEVEL_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  SdkError,
  SdkErrorCode,
  type AuthInfo,
  type InboundClassificationOutcome,
  type JSONRPCMessage,
  type RequestId,
  type Transport,
} from '@modelcontextprotocol/server';
import { ManagerError } from '../errors.js';
import { MODERN_REVISION } from '../server-actor/era.js';
import type { ToolCallSeries } from '../metrics/calls.js';
import type { Session } from '../server-actor/session.js';
import type { Lease } from './dispatch.js';
import type { CallContext, ClientSession, GatewayCore as Gateway } from './types.js';
import { CALL_TIMEOUT_MS, NOT_DELIVERED_EXTRA_ATTEMPTS, isSafeToRepeat } from './handlers.js';
import { RequestClassifier, type ClassifyHeaders } from './modern/classify.js';
import { NEEDS } from './modern/input-bridge.js';
import { toWireError } from './wire-errors.js';

/** A transport that takes an already serialized message (our stdio transports). */
interface LineTransport {
  sendLine(line: string): Promise<void>;
}

/** Our stdio transport to a backend, as the forwarding path uses it. */
interface BackendLineTransport extends LineTransport {
  readonly running: boolean;
  /** Lines handed to sendLine so far, and lines the pipe accepted. */
  readonly linesQueued: number;
  readonly linesWritten: number;
}

/** How often the deadline sweep runs. */
const SWEEP_MS = 1_000;
/** JSON-RPC "request timeout" (as the SDK reports an expired request). */
const REQUEST_TIMEOUT = -32001;
/** Ids the gateway gives forwarded calls: strings, so they never meet the SDK client's numbers. */
const ID_PREFIX = 'mm-';

interface ToolCallMessage {
  jsonrpc: '2.0';
  id: RequestId;
  method: 'tools/call';
  params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> };
}

/** Where a forwarded call's answer goes: the connection it came on, or one 2026-07-28 HTTP request. */
interface Origin {
  /** The connection's client (cancellations and disconnects match on it); none for an HTTP request. */
  readonly client: ClientSession | undefined;
  /** 2026-07-28: the answer is stamped as that era's results are, and the client is never asked for input. */
  readonly modern: boolean;
  /** The connection's HTTP session, for the logs (null on stdio and for a session-less request). */
  readonly session: string | null;
  /** The bearer client an HTTP request came from (what the input handles it is given are bound to). */
  readonly authClientId?: string | undefined;
  send(message: JSONRPCMessage): Promise<void>;
}

/** One forwarded call: the only state the gateway keeps for it. */
interface Forwarded {
  readonly origin: Origin;
  /** The client's request id. */
  readonly id: RequestId;
  readonly server: string;
  /** What goes to the backend (its id is rewritten per attempt). */
  readonly request: { jsonrpc: '2.0'; id: string; method: 'tools/call'; params: Record<string, unknown> };
  readonly tool: string;
  readonly safe: boolean;
  readonly series: ToolCallSeries | undefined;
  readonly startedMs: number;
  readonly deadlineMs: number;
  lease: Lease;
  /** This call's line number on the lease's transport: delivered once the pipe accepted that many. */
  line: number;
  attempt: number;
  tried: Set<string> | undefined;
  /** Its client left while it waited between attempts: the next attempt lets it go. */
  dropped: boolean;
  /** It goes to a 2026-07-28 backend, as a 2026-07-28 client sent it (every attempt). */
  readonly passThrough: boolean;
}

/** The calls in flight on one backend session, by the id the gateway gave them. */
type Pending = Map<string, Forwarded>;

const isLineTransport = (t: unknown): t is LineTransport => typeof (t as Partial<LineTransport>).sendLine === 'function';

function isBackendLineTransport(t: unknown): t is BackendLineTransport {
  return isLineTransport(t) && typeof (t as Partial<BackendLineTransport>).linesWritten === 'number';
}

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON-RPC "missing required client capability": the one in-band error the spec answers with HTTP 400. */
const MISSING_CAPABILITY = ProtocolErrorCode.MissingRequiredClientCapability;

/**
 * A 2026-07-28 request, classified by the SDK, in its first round and needing nothing the
 * SDK path does: the revision the gateway serves, no input answers or state, no task, no log level,
 * and a client that declared no input capability (the bridge would have input to relay).
 */
function plainModernCall(message: ToolCallMessage, outcome: InboundClassificationOutcome): boolean {
  if (outcome.kind !== 'modern' || outcome.messageKind !== 'request' || outcome.classification.era !== 'modern') return false;
  // the revision the gateway serves (another, or none, is the SDK's to answer)
  if (outcome.classification.revision !== MODERN_REVISION) return false;
  const params = message.params as Record<string, unknown>;
  if (params.requestState !== undefined || params.inputResponses !== undefined || params.task !== undefined) return false;
  const meta = params._meta;
  if (!isDict(meta) || meta[LOG_LEVEL_META_KEY] !== undefined) return false;
  const declared = meta[CLIENT_CAPABILITIES_META_KEY];
  return !isDict(declared) || (declared.sampling === undefined && declared.elicitation === undefined && declared.roots === undefined);
}

/** Input schemas that declare `x-mcp-header` arguments (their `Mcp-Param-*` headers are the SDK's to check). */
const paramHeaders = new WeakMap<object, boolean>();

function declaresParamHeaders(schema: object): boolean {
  let declares = paramHeaders.get(schema);
  if (declares === undefined) {
    declares = JSON.stringify(schema).includes('"x-mcp-header"');
    paramHeaders.set(schema, declares);
  }
  return declares;
}

/** One JSON answer to an HTTP request (in-band errors are 200, but for -32021: 400, as the spec says). */
function writeJson(res: ServerResponse, message: JSONRPCMessage): Promise<void> {
  if (res.headersSent || res.destroyed) return Promise.resolve();
  const error = (message as { error?: { code?: unknown } }).error;
  const body = JSON.stringify(message);
  res.writeHead(error?.code === MISSING_CAPABILITY ? 400 : 200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
  return Promise.resolve();
}

function sendOn(transport: Transport, message: JSONRPCMessage): Promise<void> {
  return isLineTransport(transport) ? transport.sendLine(JSON.stringify(message)) : transport.send(message);
}

export class Forwarding {
  private readonly tables = new Map<Session, Pending>();
  /** The SDK's verdicts on the requests of 2026-07-28 stdio connections. */
  private readonly classifier = new RequestClassifier();
  private nextId = 0;
  private sweep: NodeJS.Timeout | undefined;

  constructor(private readonly gw: Gateway) {}

  /**
   * Take `tools/call` requests arriving on a client's transport. Call after the SDK's
   * `Server` (or stdio entry) connected to it (it set the transport's handlers, which this
   * wraps); `clientOf` names the connection's client once it has one.
   */
  attach(clientOf: () => ClientSession | undefined, transport: Transport): void {
    const deliver = transport.onmessage;
    let origin: Origin | undefined;
    const originOf = (client: ClientSession): Origin =>
      origin?.client === client
        ? origin
        : (origin = {
            client,
            modern: client.era === 'modern',
            session: (transport as { sessionId?: string }).sessionId ?? null,
            send: (message) => sendOn(transport, message),
          });
    transport.onmessage = (message, extra) => {
      const client = clientOf();
      if (client !== undefined && 'method' in message) {
        if (message.method === 'tools/call' && 'id' in message) {
          const call = message as ToolCallMessage;
          // a 2026-07-28 connection: each request carries its envelope, checked as the SDK checks it
          const outcome = client.era === 'modern' ? this.classifier.classify(message) : undefined;
          if (this.take(originOf(client), call, outcome)) return;
        }
        if (message.method === 'notifications/cancelled') this.cancelled(client, message.params);
      }
      deliver?.(message, extra);
    };
    const closed = transport.onclose;
    transport.onclose = () => {
      const client = clientOf();
      if (client) this.clientGone(client);
      closed?.();
    };
  }

  /**
   * A 2026-07-28 `tools/call` POST, classified by the SDK (`outcome`): forwarded when this
   * path can take it; false leaves it to the SDK's modern entry. A response closed before
   * the answer cancels the call at its backend.
   */
  takeHttp(
    headers: ClassifyHeaders,
    res: ServerResponse,
    body: unknown,
    outcome: InboundClassificationOutcome,
    authInfo?: AuthInfo,
  ): boolean {
    if (outcome.kind !== 'modern' || outcome.messageKind !== 'request' || outcome.message.method !== 'tools/call') return false;
    const message = body as ToolCallMessage;
    const name = (message.params as unknown as Record<string, unknown> | undefined)?.name;
    if (typeof name !== 'string') return false;
    // headers that plainly agree with the body; a missing, encoded or disagreeing one is the SDK's to answer
    if (headers.protocolVersionHeader === undefined) return false;
    if (headers.mcpMethodHeader?.trim() !== 'tools/call' || headers.mcpNameHeader?.trim() !== name) return false;
    const routed = this.gw.catalog.tool(name);
    if (routed !== undefined && declaresParamHeaders(routed.tool.inputSchema)) return false;
    const origin: Origin = {
      client: undefined,
      modern: true,
      session: null,
      authClientId: authInfo?.clientId,
      send: (answer) => writeJson(res, answer),
    };
    const call = this.take(origin, message, outcome);
    if (call === undefined) return false;
    res.once('close', () => {
      if (!res.writableFinished) this.drop(call, 'the client closed the request');
    });
    return true;
  }

  /** The most recent forwarded call on a backend session (where its server→client requests go). */
  latestCall(session: Session): CallContext | undefined {
    const pending = this.tables.get(session);
    if (!pending || pending.size === 0) return undefined;
    let last: Forwarded | undefined;
    for (const call of pending.values()) last = call;
    const call = last!;
    const client = call.origin.client;
    if (call.origin.modern || client === undefined)
      return { offersRoots: () => false, sendRequest: (request) => this.refuse(call, request.method) };
    return {
      offersRoots: () => client.server.getClientCapabilities()?.roots !== undefined,
      sendRequest: (request, options) => client.server.request(request, { ...options, relatedRequestId: call.id }),
    };
  }

  /** Calls in flight on the forwarding path (tests, inspection). */
  get inFlight(): number {
    let n = 0;
    for (const pending of this.tables.values()) n += pending.size;
    return n;
  }

  close(): void {
    clearInterval(this.sweep);
    this.sweep = undefined;
  }

  /**
   * Forward the call if this path can take it; undefined leaves it to the SDK's handler.
   * A 2026-07-28 call comes with the SDK's classification of it.
   */
  private take(origin: Origin, message: ToolCallMessage, outcome?: InboundClassificationOutcome): Forwarded | undefined {
    const params = message.params as unknown;
    if (!isDict(params) || typeof params.name !== 'string') return undefined;
    if (params.arguments !== undefined && !isDict(params.arguments)) return undefined;
    // progress needs the token rewritten and relayed: the SDK path does that
    if (isDict(params._meta) && params._meta.progressToken !== undefined) return undefined;
    if (origin.modern && (outcome === undefined || !plainModernCall(message, outcome))) return undefined;
    const gw = this.gw;
    const routed = gw.catalog.tool(params.name);
    if (!routed || gw.cacheFor(routed.server, routed.name)) return undefined;
    const client = origin.client;
    const lease = gw.dispatcher.acquireNow(routed.server, client === undefined ? {} : { affinityKey: client.id });
    if (!lease) return undefined;
    // a 2026-07-28 backend: a call goes to it under the gateway's envelope when the server is
    // offered no input (a 2025 client would be asked in requests of its own, which the SDK
    // client makes of input_required)
    const passThrough = lease.session.client.getProtocolEra() === 'modern';
    if (!isBackendLineTransport(lease.session.transport) || (passThrough && !this.passesThrough(origin, lease.session))) {
      gw.dispatcher.release(lease);
      return undefined;
    }
    const now = performance.now();
    // the client's envelope stays with the gateway: the backend gets the call as the SDK path sends it
    const forwarded = passThrough
      ? { name: routed.name, arguments: params.arguments ?? {}, _meta: envelopeFrom(lease.session) }
      : origin.modern
        ? { name: routed.name, arguments: params.arguments ?? {} }
        : { ...params, name: routed.name };
    const call: Forwarded = {
      origin,
      id: message.id,
      server: routed.server,
      request: { jsonrpc: '2.0', id: '', method: 'tools/call', params: forwarded },
      tool: routed.name,
      safe: isSafeToRepeat(gw, routed),
      series: gw.callMetrics?.series(routed.server, routed.name),
      startedMs: now,
      deadlineMs: now + CALL_TIMEOUT_MS,
      lease,
      line: 0,
      attempt: 1,
      tried: undefined,
      dropped: false,
      passThrough,
    };
    this.send(call);
    return call;
  }

  /** Write the call to its lease's backend under a fresh id. */
  private send(call: Forwarded): void {
    if (call.dropped) {
      this.gw.dispatcher.release(call.lease);
      return;
    }
    const session = call.lease.session;
    const transport = session.transport as unknown as BackendLineTransport;
    const pending = this.tableOf(session);
    const id = `${ID_PREFIX}${++this.nextId}`;
    (call.request as { id: string }).id = id;
    pending.set(id, call);
    if (!transport.running) {
      // gone already: its exit (handled in lost()) sends the call on, as never delivered
      call.line = Number.POSITIVE_INFINITY;
      return;
    }
    // a refused write shows as a line never written when the session ends (see lost())
    transport.sendLine(JSON.stringify(call.request)).catch(() => undefined);
    call.line = transport.linesQueued;
  }

  /** The pending table of a backend session; the first call taps its transport and watches its end. */
  private tableOf(session: Session): Pending {
    let pending = this.tables.get(session);
    if (pending) return pending;
    pending = new Map();
    this.tables.set(session, pending);
    const table = pending;
    const transport = session.transport;
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      const id = (message as { id?: unknown }).id;
      if (typeof id === 'string' && !('method' in message)) {
        const call = table.get(id);
        if (call) {
          table.delete(id);
          this.answer(call, message);
          return;
        }
      }
      deliver?.(message, extra);
    };
    void session.exited.then(() => this.lost(session, table));
    this.sweep ??= setInterval(() => this.expire(), SWEEP_MS).unref();
    return pending;
  }

  /** The backend's response, to the client under its own id. */
  private answer(call: Forwarded, message: JSONRPCMessage): void {
    this.gw.dispatcher.release(call.lease);
    (message as { id: RequestId }).id = call.id;
    const result = (message as { result?: Record<string, unknown> }).result;
    // a 2026-07-28 backend's result, to a 2025 client: as the SDK client decodes it
    if (call.passThrough && !call.origin.modern && isDict(result)) {
      const refused = legacyView(result);
      if (refused !== undefined) {
        call.series?.record('error', call.startedMs);
        this.reply(call, errorMessage(call.id, refused));
        return;
      }
    }
    call.series?.record(result === undefined ? 'error' : result.isError === true ? 'tool_error' : 'ok', call.startedMs);
    if (call.origin.modern && isDict(result)) this.stamp(result);
    // an upstream's own input round: its state goes to the client inside the gateway's handle
    if (call.passThrough && isDict(result) && result.resultType === 'input_required' && typeof result.requestState === 'string') {
      const handle = { i: call.lease.instance, u: result.requestState };
      this.gw.inputs.mintFor(handle, 'tools/call', call.origin.authClientId).then(
        (state) => {
          result.requestState = state;
          this.reply(call, message);
        },
        (error: unknown) => this.reply(call, errorMessage(call.id, error)),
      );
      return;
    }
    this.reply(call, message);
  }

  /**
   * A call to a 2026-07-28 backend goes through here when what the backend is told of the
   * client is plain: the gateway offers the server no input capability (so the SDK client's
   * envelope declares none, and neither does the forwarded one), and, from a 2025 client,
   * no log level was set on its connection (the SDK path puts it in every request's envelope).
   */
  private passesThrough(origin: Origin, session: Session): boolean {
    const offered = this.gw.configOf(session.server)?.clientCapabilities;
    if (offered === undefined || offered.sampling || offered.elicitation || offered.roots) return false;
    return origin.modern || origin.client?.logLevel === undefined;
  }

  /** A result as the SDK stamps 2026-07-28 results of `tools/call`: its `resultType`, and who answered. */
  private stamp(result: Record<string, unknown>): void {
    result.resultType ??= 'complete';
    const meta = result._meta;
    if (meta === undefined) result._meta = { [SERVER_INFO_META_KEY]: this.gw.serverInfo };
    else if (isDict(meta)) meta[SERVER_INFO_META_KEY] ??= this.gw.serverInfo;
  }

  private reply(call: Forwarded, message: JSONRPCMessage): void {
    call.origin.send(message).catch((error: unknown) => {
      this.gw.logger.debug(
        { err: error instanceof Error ? error.message : String(error), client: call.origin.client?.id ?? null },
        'could not answer a forwarded call',
      );
    });
  }

  /**
   * A backend asked a 2026-07-28 client for input during a forwarded call. This path takes
   * only calls whose clients declared no input capability, so it goes as the input bridge
   * has it go: the backend is refused, and the call fails with the missing capability.
   */
  private refuse(call: Forwarded, method: string): Promise<never> {
    const need = NEEDS[method];
    if (need === undefined) {
      return Promise.reject(new ProtocolError(ProtocolErrorCode.MethodNotFound, `${method} cannot be relayed to the client`));
    }
    if (this.abandonIfWaiting(call, 'the client lacks a capability the call needs')) {
      this.reply(call, errorMessage(call.id, new MissingRequiredClientCapabilityError({ requiredCapabilities: { [need]: {} } })));
    }
    return Promise.reject(new ProtocolError(ProtocolErrorCode.InvalidRequest, `the client did not declare the ${need} capability`));
  }

  /** The call's client left (an HTTP request closed early): cancelled at its backend, or not sent again. */
  private drop(call: Forwarded, reason: string): void {
    if (this.abandonIfWaiting(call, reason) || call.dropped) return;
    call.dropped = true;
    call.series?.record('error', call.startedMs);
  }

  /** Cancel the call at its backend if it is waiting there for its answer; false when it is not. */
  private abandonIfWaiting(call: Forwarded, reason: string): boolean {
    const session = call.lease.session;
    const pending = this.tables.get(session);
    const id = call.request.id;
    if (pending?.get(id) !== call) return false;
    this.abandon(session, pending, id, call, reason);
    return true;
  }

  /** A gateway-side failure, through the one wire mapping. */
  private fail(call: Forwarded, error: unknown): void {
    if (call.dropped) return;
    call.series?.record('error', call.startedMs);
    this.reply(call, errorMessage(call.id, error));
  }

  /** A backend session ended: its calls go elsewhere or fail, by the rules of the SDK path. */
  private lost(session: Session, pending: Pending): void {
    this.tables.delete(session);
    const written = (session.transport as unknown as BackendLineTransport).linesWritten;
    const calls = [...pending.values()];
    pending.clear();
    for (const call of calls) {
      this.gw.dispatcher.release(call.lease);
      this.retry(call, call.line > written);
    }
  }

  private retry(call: Forwarded, notDelivered: boolean): void {
    const { gw } = this;
    const instance = call.lease.instance;
    const where = { server: call.server, tool: call.tool, instance, client: call.origin.client?.id ?? null, session: call.origin.session };
    if (!call.safe && !notDelivered) {
      gw.logger.warn(where, 'call lost: its instance went away and the tool is not marked safe to repeat');
      this.fail(
        call,
        new ManagerError(
          'CALL_NOT_RETRIED',
          `server "${call.server}" (instance ${instance}) went away during the call to "${call.tool}"; not retried because the tool is not marked read-only or idempotent (list it in retry_tools if it is safe to repeat)`,
          { data: { server: call.server, tool: call.tool, instance } },
        ),
      );
      return;
    }
    const replicas = gw.configOf(call.server)?.replicas ?? 1;
    const maxAttempts = replicas + 1 + (notDelivered ? NOT_DELIVERED_EXTRA_ATTEMPTS : 0);
    if (call.attempt >= maxAttempts) {
      gw.logger.warn({ ...where, attempt: call.attempt }, 'call lost: every attempt found its instance going away');
      this.fail(
        call,
        new ManagerError(
          'SERVER_UNAVAILABLE',
          `server "${call.server}" went away during the call to "${call.tool}", ${call.attempt} times`,
          {
            data: { server: call.server, tool: call.tool },
          },
        ),
      );
      return;
    }
    // with replicas, go elsewhere; a lone instance is waited for while it restarts
    if (replicas > 1) (call.tried ??= new Set()).add(instance);
    call.attempt++;
    gw.logger.info({ ...where, attempt: call.attempt - 1 }, 'instance went away during a call; retrying (safe to repeat)');
    const affinity = call.origin.client === undefined ? {} : { affinityKey: call.origin.client.id };
    gw.dispatcher.acquire(call.server, { ...affinity, ...(call.tried ? { exclude: call.tried } : {}) }).then(
      (lease) => {
        // the call is written for one era of backend: another instance must speak it too
        const modern = lease.session.client.getProtocolEra() === 'modern';
        if (!isBackendLineTransport(lease.session.transport) || modern !== call.passThrough) {
          gw.dispatcher.release(lease);
          this.fail(
            call,
            new ManagerError('SERVER_UNAVAILABLE', `server "${call.server}" cannot take forwarded calls`, {
              data: { server: call.server },
            }),
          );
          return;
        }
        call.lease = lease;
        this.send(call);
      },
      (error: unknown) => this.fail(call, error),
    );
  }

  /** The client cancelled a forwarded call: tell the backend, answer nothing (as the SDK does). */
  private cancelled(client: ClientSession, params: unknown): void {
    if (!isDict(params) || params.requestId === undefined) return;
    for (const [session, pending] of this.tables) {
      for (const [id, call] of pending) {
        if (call.origin.client !== client || call.id !== params.requestId) continue;
        this.abandon(session, pending, id, call, typeof params.reason === 'string' ? params.reason : 'cancelled by the client');
        return;
      }
    }
  }

  /** The client went away: its forwarded calls are cancelled at their backends. */
  private clientGone(client: ClientSession): void {
    for (const [session, pending] of this.tables) {
      for (const [id, call] of pending)
        if (call.origin.client === client) this.abandon(session, pending, id, call, 'the client disconnected');
    }
  }

  private abandon(session: Session, pending: Pending, id: string, call: Forwarded, reason: string): void {
    pending.delete(id);
    this.gw.dispatcher.release(call.lease);
    call.series?.record('error', call.startedMs);
    const transport = session.transport as unknown as BackendLineTransport;
    if (transport.running) {
      transport
        .sendLine(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } }))
        .catch(() => undefined);
    }
  }

  /** The deadline sweep: calls past their deadline fail and are cancelled at their backends. */
  private expire(): void {
    const now = performance.now();
    for (const [session, pending] of this.tables) {
      for (const [id, call] of pending) {
        if (call.deadlineMs > now) continue;
        this.abandon(session, pending, id, call, 'timed out');
        const error = {
          jsonrpc: '2.0',
          id: call.id,
          error: { code: REQUEST_TIMEOUT, message: 'Request timed out', data: { timeout: CALL_TIMEOUT_MS } },
        };
        this.reply(call, error as JSONRPCMessage);
      }
    }
  }
}

/**
 * A 2026-07-28 `tools/call` result as a 2025 client is given it, changed in place: as the
 * SDK client decodes that era's results, a complete one loses its `resultType` (the rest,
 * `_meta` included, stays); anything else is the error returned.
 */
export function legacyView(result: Record<string, unknown>): SdkError | undefined {
  const kind = result.resultType;
  if (kind === 'complete') {
    delete result.resultType;
    return undefined;
  }
  if (kind === undefined) {
    return new SdkError(SdkErrorCode.InvalidResult, 'Invalid result for tools/call: missing required resultType', {
      method: 'tools/call',
    });
  }
  if (kind === 'input_required') {
    // the server was offered no input capability, so none of its input requests can be served
    return new SdkError(
      SdkErrorCode.InvalidResult,
      'Invalid result for tools/call: input_required from a server offered no input capability',
      {
        method: 'tools/call',
      },
    );
  }
  return new SdkError(SdkErrorCode.UnsupportedResultType, `Unsupported result type ${JSON.stringify(kind)} for tools/call`, {
    method: 'tools/call',
    resultType: kind,
  });
}

/** A JSON-RPC error answer to the client's request, through the one wire mapping. */
function errorMessage(id: RequestId, error: unknown): JSONRPCMessage {
  const wire = toWireError(error);
  return {
    jsonrpc: '2.0',
    id,
    error: { code: wire.code, message: wire.message, ...(wire.data === undefined ? {} : { data: wire.data }) },
  };
}

/** The envelope the SDK client gives a 2026-07-28 request of the gateway's (no input capability offered). */
function envelopeFrom(session: Session): Record<string, unknown> {
  return {
    [PROTOCOL_VERSION_META_KEY]: MODERN_REVISION,
    [CLIENT_INFO_META_KEY]: session.clientInfo,
    [CLIENT_CAPABILITIES_META_KEY]: {},
  };
}
