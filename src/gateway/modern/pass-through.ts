/**
 * Input rounds between a 2026-07-28 client and a 2026-07-28 upstream pass through the
 * gateway. The upstream request carries what the client declared (the input capabilities
 * the server is offered, `client_capabilities`), the client's answers and the upstream's
 * own `requestState`; the upstream's `input_required` result reaches the client with its
 * input requests untouched. Only its `requestState` is wrapped: in a gateway handle
 * (signed, expiring, bound like the input bridge's) that also names the upstream instance,
 * so the client's retry goes back to the process that asked.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  isInputRequiredResult,
  type ClientCapabilities,
  type InputRequiredResult,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ClientFeatures } from '../../config/types.js';
import type { Session } from '../../server-actor/session.js';

/** The gateway's handle around an upstream's requestState. */
export interface PassThroughHandle {
  /** The upstream instance that issued it. */
  i: string;
  /** The upstream's own requestState. */
  u: string;
}

export function isPassThroughHandle(state: unknown): state is PassThroughHandle {
  return (
    typeof state === 'object' &&
    state !== null &&
    typeof (state as PassThroughHandle).i === 'string' &&
    typeof (state as PassThroughHandle).u === 'string'
  );
}

/** One round of a modern client's request, as an upstream of the same era gets it. */
export interface UpstreamRound {
  /** What the client declared in this request's envelope. */
  capabilities: ClientCapabilities | undefined;
  /** The client's answers to the previous round's input requests. */
  inputResponses: Record<string, unknown> | undefined;
  /** The retry's handle (verified), when it wraps an upstream's requestState. */
  handle: PassThroughHandle | undefined;
  /** Wrap an upstream's requestState into a handle for the client. */
  wrap(handle: PassThroughHandle): Promise<string>;
}

/** The round of a modern client's request (`mint` seals a handle bound to this request). */
export function upstreamRound(ctx: ServerContext, mint: (handle: PassThroughHandle, ctx: ServerContext) => Promise<string>): UpstreamRound {
  const state: unknown = ctx.mcpReq.requestState();
  return {
    capabilities: (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as
      ClientCapabilities | undefined,
    inputResponses: ctx.mcpReq.inputResponses,
    handle: isPassThroughHandle(state) ? state : undefined,
    wrap: (handle) => mint(handle, ctx),
  };
}

/** Does this round go to `session` as a pass-through (both ends speak 2026-07-28)? */
export function passesThrough(round: UpstreamRound | undefined, session: Session): round is UpstreamRound {
  return round !== undefined && session.client.getProtocolEra() === 'modern';
}

/**
 * The client's input capabilities that the upstream may use: what the client declared,
 * and only what the server is offered. Other declarations (extensions, experimental) stay
 * with the gateway: it cannot relay them.
 */
export function forwardedCapabilities(declared: ClientCapabilities | undefined, offered: ClientFeatures): ClientCapabilities {
  const out: ClientCapabilities = {};
  if (offered.sampling && declared?.sampling !== undefined) out.sampling = declared.sampling;
  if (offered.elicitation && declared?.elicitation !== undefined) out.elicitation = declared.elicitation;
  if (offered.roots && declared?.roots !== undefined) out.roots = declared.roots;
  return out;
}

/** The upstream request's params for this round: the client's capabilities, answers and the upstream's state. */
export function upstreamParams<P extends { _meta?: Record<string, unknown> }>(params: P, round: UpstreamRound, offered: ClientFeatures): P {
  return {
    ...params,
    _meta: { ...params._meta, [CLIENT_CAPABILITIES_META_KEY]: forwardedCapabilities(round.capabilities, offered) },
    ...(round.inputResponses === undefined ? {} : { inputResponses: round.inputResponses }),
    ...(round.handle === undefined ? {} : { requestState: round.handle.u }),
  };
}

/** An upstream's answer for the client: an `input_required` result gets the gateway's handle around its state. */
export async function toClient<T>(
  result: T | InputRequiredResult,
  round: UpstreamRound,
  instance: string,
): Promise<T | InputRequiredResult> {
  if (!isInputRequiredResult(result) || result.requestState === undefined) return result;
  return { ...result, requestState: await round.wrap({ i: instance, u: result.requestState }) };
}
