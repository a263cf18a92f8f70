/**
 * Input across eras for a 2026-07-28 client: a call whose backend asks the client for
 * something (an elicitation, a sampling, the roots) answers the client with an
 * `input_required` result instead. Its `requestState` is a gateway-issued handle to the
 * call still waiting upstream: signed with a per-process random key, expiring, bound to
 * the method and the caller. The client's retry carries the answers; they go to the
 * waiting upstream request and the call goes on, on the same upstream, until it ends or
 * asks again. The SDK client driving a modern upstream turns that upstream's own
 * `input_required` into the same requests, so modern upstreams are bridged alike.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  inputRequired,
  type ClientCapabilities,
  type InputRequest,
  type InputRequiredResult,
  type Notification,
  type ProgressToken,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../logger.js';
import type { PassThroughHandle } from './pass-through.js';

/** A backend's request to the client, as the gateway receives it. */
export interface BackendAsk {
  method: string;
  params?: Record<string, unknown>;
}

/** One round of a call, as the modern client's request presents it. */
export interface Round {
  signal: AbortSignal;
  /** What the client declared in this request's envelope. */
  capabilities: ClientCapabilities | undefined;
  /** The verified handle of a retry (`ctx.mcpReq.requestState()`), undefined on the first round. */
  state: unknown;
  /** The retry's answers (`ctx.mcpReq.inputResponses`). */
  responses: Record<string, unknown> | undefined;
  /** Where this round's notifications go, and the progress token this round asked with. */
  notify?: ((notification: Notification) => Promise<void>) | undefined;
  progressToken?: ProgressToken | undefined;
}

/** Notifications of a call, sent to whichever round of it the client is waiting on. */
type Notify = (notification: Notification) => Promise<void>;

/** Handle payload: which waiting call, and which round of it. */
interface Handle {
  f: string;
  r: number;
}

interface Pending {
  key: string;
  request: InputRequest;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** A call kept alive between a client's rounds. */
interface Flight {
  id: string;
  round: number;
  abort: AbortController;
  result: Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
  /** Asked, not yet sent to the client. */
  asked: Pending[];
  /** Sent to the client in the current round, awaiting its retry. */
  open: Pending[];
  /** The round in progress waits here for the next ask. */
  wake: (() => void) | undefined;
  /** The client must be refused this (it lacks the capability a backend needs). */
  refused: ProtocolError | undefined;
  capabilities: ClientCapabilities | undefined;
  /** The round the client waits on now: its notifications and progress token. */
  current: Pick<Round, 'notify' | 'progressToken'>;
  expiry: NodeJS.Timeout | undefined;
  nextKey: number;
}

export interface InputBridgeOptions {
  /** How long a call waits for the client's retry (the handle's lifetime). Default 10 minutes. */
  ttlMs?: number;
  logger: Logger;
}

/** What each kind of ask needs the client to have declared. */
export const NEEDS: Readonly<Record<string, keyof ClientCapabilities>> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/** What a handle is bound to: the method it answers, and the bearer client it was given to. */
function bindingOf(method: string, clientId: string | undefined): string {
  return `${method}\0${clientId ?? ''}`;
}

export class InputBridge {
  private readonly codec: RequestStateCodec<Handle | PassThroughHandle>;
  private readonly flights = new Map<string, Flight>();
  private readonly ttlMs: number;

  constructor(private readonly options: InputBridgeOptions) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.codec = createRequestStateCodec<Handle | PassThroughHandle>({
      key: randomBytes(32),
      ttlSeconds: Math.max(1, Math.ceil(this.ttlMs / 1000)),
      bind: (ctx) => bindingOf(ctx.mcpReq.method, ctx.http?.authInfo?.clientId),
    });
  }

  /** For `ServerOptions.requestState.verify`: refuses forged, altered and expired handles. */
  readonly verify = (state: string, ctx: ServerContext): Promise<Handle | PassThroughHandle> => this.codec.verify(state, ctx);

  /** Seal the handle around an upstream's own requestState (modern ↔ modern rounds pass through). */
  readonly mint = (handle: PassThroughHandle, ctx: ServerContext): Promise<string> => this.codec.mint(handle, ctx);

  /**
   * The same, for a request the SDK's server did not see (the forwarding path): bound to its
   * method and bearer client as `verify` will find them on the retry.
   */
  mintFor(handle: PassThroughHandle, method: string, clientId: string | undefined): Promise<string> {
    // what `bindingOf` reads of a request's context, and nothing else
    const ctx = { mcpReq: { method }, http: { authInfo: { clientId } } };
    return this.codec.mint(handle, ctx as unknown as ServerContext);
  }

  /** Calls waiting for a client's retry (for tests and metrics). */
  get waiting(): number {
    return this.flights.size;
  }

  /**
   * Run (or continue) a call for a modern client. `start` runs the call once, on the
   * first round; its `ask` is where the backend's requests to the client go.
   */
  async run<T>(
    round: Round,
    ctx: ServerContext,
    start: (ask: (request: BackendAsk) => Promise<unknown>, signal: AbortSignal, notify: Notify) => Promise<T>,
  ): Promise<T | InputRequiredResult> {
    const flight = round.state === undefined ? this.launch(round, start) : this.resume(round);
    // the client leaving while a round waits cancels the call (upstream too)
    const onAbort = () => this.end(flight, 'the client cancelled the request');
    round.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.next<T>(flight, ctx);
    } finally {
      round.signal.removeEventListener('abort', onAbort);
    }
  }

  private launch<T>(
    round: Round,
    start: (ask: (request: BackendAsk) => Promise<unknown>, signal: AbortSignal, notify: Notify) => Promise<T>,
  ): Flight {
    const abort = new AbortController();
    const flight: Flight = {
      id: randomUUID(),
      round: 0,
      abort,
      result: Promise.resolve({ ok: true, value: undefined }),
      asked: [],
      open: [],
      wake: undefined,
      refused: undefined,
      capabilities: round.capabilities,
      current: { notify: round.notify, progressToken: round.progressToken },
      expiry: undefined,
      nextKey: 0,
    };
    const ask = (request: BackendAsk): Promise<unknown> => this.ask(flight, request);
    flight.result = start(ask, abort.signal, (notification) => this.notify(flight, notification)).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    void flight.result.then(() => flight.wake?.());
    return flight;
  }

  private resume(round: Round): Flight {
    const handle = round.state as Partial<Handle> | undefined;
    const flight = typeof handle?.f === 'string' ? this.flights.get(handle.f) : undefined;
    if (flight === undefined || handle?.r !== flight.round) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        'requestState refers to no call waiting for input (it ended, expired or was already answered)',
      );
    }
    const responses = round.responses ?? {};
    const missing = flight.open.filter((p) => responses[p.key] === undefined).map((p) => p.key);
    if (missing.length > 0) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `inputResponses lacks ${missing.map((k) => JSON.stringify(k)).join(', ')}`);
    }
    clearTimeout(flight.expiry);
    this.flights.delete(flight.id);
    flight.capabilities = round.capabilities;
    flight.current = { notify: round.notify, progressToken: round.progressToken };
    for (const pending of flight.open) pending.resolve(responses[pending.key]);
    flight.open = [];
    return flight;
  }

  /**
   * A notification of the call (its progress): to the round the client waits on now, with
   * that round's progress token, as the requests of earlier rounds are answered already.
   */
  private notify(flight: Flight, notification: Notification): Promise<void> {
    const { notify, progressToken } = flight.current;
    if (notify === undefined) return Promise.resolve();
    if (notification.method !== 'notifications/progress') return notify(notification);
    if (progressToken === undefined) return Promise.resolve();
    return notify({ ...notification, params: { ...notification.params, progressToken } });
  }

  private ask(flight: Flight, request: BackendAsk): Promise<unknown> {
    const need = NEEDS[request.method];
    if (need === undefined) {
      return Promise.reject(new ProtocolError(ProtocolErrorCode.MethodNotFound, `${request.method} cannot be relayed to the client`));
    }
    if (flight.capabilities?.[need] === undefined) {
      const error = new MissingRequiredClientCapabilityError({ requiredCapabilities: { [need]: {} } });
      flight.refused ??= error;
      flight.wake?.();
      return Promise.reject(new ProtocolError(ProtocolErrorCode.InvalidRequest, `the client did not declare the ${need} capability`));
    }
    return new Promise((resolve, reject) => {
      const key = `${need}-${++flight.nextKey}`;
      flight.asked.push({ key, request: { method: request.method, params: request.params ?? {} } as InputRequest, resolve, reject });
      flight.wake?.();
    });
  }

  /** Wait for the call's end or its next asks; asks become an `input_required` result. */
  private async next<T>(flight: Flight, ctx: ServerContext): Promise<T | InputRequiredResult> {
    for (;;) {
      if (flight.refused) {
        this.end(flight, 'the client lacks a capability the call needs');
        throw flight.refused;
      }
      if (flight.asked.length > 0) return this.pause(flight, ctx);
      const settled = await Promise.race([flight.result, new Promise<undefined>((resolve) => (flight.wake = () => resolve(undefined)))]);
      flight.wake = undefined;
      if (settled === undefined) continue;
      if (flight.refused) continue;
      if (settled.ok) return settled.value as T;
      throw settled.error;
    }
  }

  private async pause(flight: Flight, ctx: ServerContext): Promise<InputRequiredResult> {
    flight.open = flight.asked;
    flight.asked = [];
    flight.round++;
    const requestState = await this.codec.mint({ f: flight.id, r: flight.round }, ctx);
    this.flights.set(flight.id, flight);
    flight.expiry = setTimeout(() => this.end(flight, 'the client did not answer in time'), this.ttlMs);
    flight.expiry.unref();
    return inputRequired({ inputRequests: Object.fromEntries(flight.open.map((p) => [p.key, p.request])), requestState });
  }

  /** Give up on a call: its waiting asks fail upstream and the call is cancelled. */
  private end(flight: Flight, reason: string): void {
    clearTimeout(flight.expiry);
    this.flights.delete(flight.id);
    const error = new ProtocolError(ProtocolErrorCode.InvalidRequest, reason);
    for (const pending of [...flight.open, ...flight.asked]) pending.reject(error);
    flight.open = [];
    flight.asked = [];
    if (!flight.abort.signal.aborted) {
      this.options.logger.debug({ reason }, 'call waiting for client input ended');
      flight.abort.abort(new Error(reason));
    }
  }

  close(): void {
    for (const flight of [...this.flights.values()]) this.end(flight, 'the gateway is closing');
  }
}

/**
 * A tool call from a modern client, through the bridge: `call` gets the request's context
 * with the call's own signal (it outlives this request) and requests to the client
 * turned into asks.
 */
export function bridgeCall<T>(
  bridge: InputBridge,
  ctx: ServerContext,
  call: (ctx: ServerContext) => Promise<T>,
): Promise<T | InputRequiredResult> {
  const round: Round = {
    signal: ctx.mcpReq.signal,
    capabilities: (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as
      ClientCapabilities | undefined,
    state: ctx.mcpReq.requestState(),
    responses: ctx.mcpReq.inputResponses,
    notify: ctx.mcpReq.notify,
    progressToken: ctx.mcpReq._meta?.progressToken,
  };
  return bridge.run(round, ctx, (ask, signal, notify) =>
    call({ ...ctx, mcpReq: { ...ctx.mcpReq, signal, notify, send: (request: BackendAsk) => ask(request) } }),
  );
}
