import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server';
import { messageKind } from '../../transports/jsonrpc-shape.js';

/** The envelope checks live with the transports (the stdio readers use them too). */
export { isRequestId, messageKind, type MessageKind } from '../../transports/jsonrpc-shape.js';

type Dict = Record<string, unknown>;

export interface ParsedBody {
  /** What the POST carried, as sent: one message or a batch. */
  body: JSONRPCMessage | JSONRPCMessage[];
  messages: JSONRPCMessage[];
  /** The batch contains an `initialize` request. */
  hasInitialize: boolean;
}

/** Validate a parsed JSON body as a JSON-RPC message or non-empty batch; a reason when it is not. */
export function toMessages(value: unknown): ParsedBody | string {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) return 'empty batch';
  let hasInitialize = false;
  for (let i = 0; i < list.length; i++) {
    const kind = messageKind(list[i]);
    if (kind === undefined) {
      return Array.isArray(value) ? `batch item ${i} is not a JSON-RPC 2.0 message` : 'not a JSON-RPC 2.0 message';
    }
    if (kind === 'request' && (list[i] as Dict).method === 'initialize') hasInitialize = true;
  }
  const messages = list as JSONRPCMessage[];
  return { body: Array.isArray(value) ? messages : (value as JSONRPCMessage), messages, hasInitialize };
}

/** For messages already validated (or produced by the SDK): cheap shape tests. */
export function isRequestMessage(message: JSONRPCMessage): message is Extract<JSONRPCMessage, { id: RequestId; method: string }> {
  return 'method' in message && 'id' in message && message.id !== undefined;
}

export function isResponseMessage(message: JSONRPCMessage): boolean {
  return !('method' in message) && ('result' in message || 'error' in message);
}
