/**
 * Structural JSON-RPC checks, without zod: what a message is at the envelope level. They
 * accept exactly what the SDK's strict schemas accept there, so a message we pass on as a
 * request is one for the SDK's `Protocol` too. Payloads (params, results) are not checked
 * beyond `_meta`: they belong to whoever interprets them.
 */
import { RELATED_TASK_META_KEY, type RequestId } from '@modelcontextprotocol/client';

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
  for (const key in value) if (!allowed.has(key)) return false;
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
