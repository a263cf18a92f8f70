import { RELATED_TASK_META_KEY } from '@modelcontextprotocol/server';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server';

/**
 * Structural JSON-RPC checks for message bodies arriving over HTTP, without zod.
 *
 * They accept exactly what the SDK's strict schemas accept at the envelope level: a
 * message we call a request must also be one for `Protocol`, or the SDK would drop it
 * and its POST would never get an answer.
 */
export type MessageKind = 'request' | 'notification' | 'response';

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const NOTIFICATION_KEYS = new Set(['jsonrpc', 'method', 'params']);
const RESULT_KEYS = new Set(['jsonrpc', 'id', 'result']);
const ERROR_KEYS = new Set(['jsonrpc', 'id', 'error']);

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

function hasOnlyKeys(value: Dict, allowed: ReadonlySet<string>): boolean {
  for (const key of Object.keys(value)) if (!allowed.has(key)) return false;
  return true;
}

function isMeta(meta: unknown): boolean {
  if (meta === undefined) return true;
  if (!isDict(meta)) return false;
  if (meta.progressToken !== undefined && !isRequestId(meta.progressToken)) return false;
  const task = meta[RELATED_TASK_META_KEY];
  return task === undefined || (isDict(task) && typeof task.taskId === 'string');
}

function isParams(params: unknown): boolean {
  return params === undefined || (isDict(params) && isMeta(params._meta));
}

/** What kind of JSON-RPC message `value` is, or undefined when it is none. */
export function messageKind(value: unknown): MessageKind | undefined {
  if (!isDict(value) || value.jsonrpc !== '2.0') return undefined;
  if (typeof value.method === 'string') {
    if (!isParams(value.params)) return undefined;
    if (value.id === undefined) return hasOnlyKeys(value, NOTIFICATION_KEYS) ? 'notification' : undefined;
    return isRequestId(value.id) && hasOnlyKeys(value, REQUEST_KEYS) ? 'request' : undefined;
  }
  if ('result' in value) {
    const ok = isRequestId(value.id) && isDict(value.result) && isMeta(value.result._meta) && hasOnlyKeys(value, RESULT_KEYS);
    return ok ? 'response' : undefined;
  }
  if ('error' in value) {
    const error = value.error;
    const ok =
      (value.id === undefined || isRequestId(value.id)) &&
      isDict(error) &&
      Number.isSafeInteger(error.code) &&
      typeof error.message === 'string' &&
      hasOnlyKeys(value, ERROR_KEYS);
    return ok ? 'response' : undefined;
  }
  return undefined;
}

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
