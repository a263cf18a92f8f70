/**
 * The SDK's classifier (`classifyInboundRequest`), its verdicts on requests kept. For a
 * JSON-RPC request other than `initialize` that our envelope check accepts (which accepts
 * exactly what the SDK's strict schemas do there), the classifier reads nothing but the
 * `MCP-Protocol-Version` and `Mcp-Method` headers, the method and `params._meta`: with
 * those the same, its verdict is the same. A client sends the same envelope on every
 * request, so the verdict is looked up by them instead of asked again each time (its
 * schema checks were about 12 % of the gateway's CPU per modern HTTP call). Only modern verdicts
 * are kept; the rest (and every message of another kind) is classified afresh.
 */
import { classifyInboundRequest, type InboundClassificationOutcome } from '@modelcontextprotocol/server';
import { messageKind } from '../../transports/jsonrpc-shape.js';

/** What the classifier is given besides the body. */
export interface ClassifyHeaders {
  protocolVersionHeader?: string;
  mcpMethodHeader?: string;
  mcpNameHeader?: string;
}

type ModernClassification = Extract<InboundClassificationOutcome, { kind: 'modern' }>['classification'];

/** Distinct envelopes kept at most (a client has one; past this the table starts afresh). */
const MAX_KEPT = 256;
/** An envelope longer than this (as JSON) is classified each time, not kept. */
const MAX_KEY_CHARS = 4_096;

export class RequestClassifier {
  private readonly kept = new Map<string, ModernClassification>();

  /** The SDK's verdict on a POST (or a stdio message, without headers). */
  classify(body: unknown, headers: ClassifyHeaders = {}): InboundClassificationOutcome {
    const key = keyOf(body, headers);
    if (key !== undefined) {
      const classification = this.kept.get(key);
      if (classification !== undefined) {
        return { kind: 'modern', messageKind: 'request', message: body, classification } as InboundClassificationOutcome;
      }
    }
    const outcome = classifyInboundRequest({ httpMethod: 'POST', ...headers, body });
    if (key !== undefined && outcome.kind === 'modern' && outcome.messageKind === 'request') {
      if (this.kept.size >= MAX_KEPT) this.kept.clear();
      this.kept.set(key, outcome.classification);
    }
    return outcome;
  }
}

/** What the classifier reads of a request, as one string; undefined for anything else. */
function keyOf(body: unknown, headers: ClassifyHeaders): string | undefined {
  if (messageKind(body) !== 'request') return undefined;
  const { method, params } = body as { method: string; params?: { _meta?: unknown } };
  if (method === 'initialize') return undefined;
  const meta = JSON.stringify(params?._meta ?? null);
  if (meta.length > MAX_KEY_CHARS) return undefined;
  return `${headers.protocolVersionHeader ?? ''}\n${headers.mcpMethodHeader ?? ''}\n${method}\n${meta}`;
}
