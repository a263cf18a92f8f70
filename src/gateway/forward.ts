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
 */
import type { JSONRPCMessage, RequestId, Transport } from '@modelcontextprotocol/server';
import { ManagerError } from '../errors.js';
import type { ToolCallSeries } from '../metrics/calls.js';
import type { Session } from '../server-actor/session.js';
import type { Lease } from './dispatch.js';
import type { CallContext, ClientSession, GatewayCore as Gateway } from './types.js';
import { CALL_TIMEOUT_MS, NOT_DELIVERED_EXTRA_ATTEMPTS, isSafeToRepeat } from './handlers.js';
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

/** One forwarded call: the only state the gateway keeps for it. */
interface Forwarded {
  readonly client: ClientSession;
  /** Where the response goes: the client's transport. */
  readonly reply: Transport;
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

export class Forwarding {
  private readonly tables = new Map<Session, Pending>();
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
    transport.onmessage = (message, extra) => {
      const client = clientOf();
      // only 2025-era connections: a 2026-07-28 call may need input rounds (the bridge)
      if (client?.era === 'legacy' && 'method' in message) {
        if (message.method === 'tools/call' && 'id' in message && this.take(client, transport, message as ToolCallMessage)) return;
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

  /** The most recent forwarded call on a backend session (where its server→client requests go). */
  latestCall(session: Session): CallContext | undefined {
    const pending = this.tables.get(session);
    if (!pending || pending.size === 0) return undefined;
    let last: Forwarded | undefined;
    for (const call of pending.values()) last = call;
    const { client, id } = last!;
    return {
      client,
      sendRequest: (request, options) => client.server.request(request, { ...options, relatedRequestId: id }),
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

  /** Forward the call if this path can take it; false leaves it to the SDK's handler. */
  private take(client: ClientSession, reply: Transport, message: ToolCallMessage): boolean {
    const params = message.params as unknown;
    if (!isDict(params) || typeof params.name !== 'string') return false;
    if (params.arguments !== undefined && !isDict(params.arguments)) return false;
    // progress needs the token rewritten and relayed: the SDK path does that
    if (isDict(params._meta) && params._meta.progressToken !== undefined) return false;
    const gw = this.gw;
    const routed = gw.catalog.tool(params.name);
    if (!routed || gw.cacheFor(routed.server, routed.name)) return false;
    const lease = gw.dispatcher.acquireNow(routed.server, { affinityKey: client.id });
    if (!lease) return false;
    // a 2026-07-28 backend may answer input_required, which the SDK client turns into rounds
    if (!isBackendLineTransport(lease.session.transport) || lease.session.client.getProtocolEra() === 'modern') {
      gw.dispatcher.release(lease);
      return false;
    }
    const now = performance.now();
    const call: Forwarded = {
      client,
      reply,
      id: message.id,
      server: routed.server,
      request: { jsonrpc: '2.0', id: '', method: 'tools/call', params: { ...params, name: routed.name } },
      tool: routed.name,
      safe: isSafeToRepeat(gw, routed),
      series: gw.callMetrics?.series(routed.server, routed.name),
      startedMs: now,
      deadlineMs: now + CALL_TIMEOUT_MS,
      lease,
      line: 0,
      attempt: 1,
      tried: undefined,
    };
    this.send(call);
    return true;
  }

  /** Write the call to its lease's backend under a fresh id. */
  private send(call: Forwarded): void {
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
    if (call.series) {
      const result = (message as { result?: { isError?: unknown } }).result;
      call.series.record(result === undefined ? 'error' : result.isError === true ? 'tool_error' : 'ok', call.startedMs);
    }
    this.reply(call, message);
  }

  private reply(call: Forwarded, message: JSONRPCMessage): void {
    const reply = call.reply;
    const sent = isLineTransport(reply) ? reply.sendLine(JSON.stringify(message)) : reply.send(message);
    sent.catch((error: unknown) => {
      this.gw.logger.debug(
        { err: error instanceof Error ? error.message : String(error), client: call.client.id },
        'could not answer a forwarded call',
      );
    });
  }

  /** A gateway-side failure, through the one wire mapping. */
  private fail(call: Forwarded, error: unknown): void {
    call.series?.record('error', call.startedMs);
    const wire = toWireError(error);
    this.reply(call, {
      jsonrpc: '2.0',
      id: call.id,
      error: { code: wire.code, message: wire.message, ...(wire.data === undefined ? {} : { data: wire.data }) },
    });
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
    const session = (call.reply as { sessionId?: string }).sessionId ?? null;
    const where = { server: call.server, tool: call.tool, instance, client: call.client.id, session };
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
    gw.dispatcher.acquire(call.server, { affinityKey: call.client.id, ...(call.tried ? { exclude: call.tried } : {}) }).then(
      (lease) => {
        if (!isBackendLineTransport(lease.session.transport)) {
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
        if (call.client !== client || call.id !== params.requestId) continue;
        this.abandon(session, pending, id, call, typeof params.reason === 'string' ? params.reason : 'cancelled by the client');
        return;
      }
    }
  }

  /** The client went away: its forwarded calls are cancelled at their backends. */
  private clientGone(client: ClientSession): void {
    for (const [session, pending] of this.tables) {
      for (const [id, call] of pending) if (call.client === client) this.abandon(session, pending, id, call, 'the client disconnected');
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
