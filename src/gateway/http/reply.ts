import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The wire errors of the HTTP listener: all of them are made here. */
export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  INTERNAL_ERROR: -32603,
  /** Transport-level refusals (auth, headers, limits), as the SDK's server transport uses it. */
  SERVER_ERROR: -32000,
  SESSION_NOT_FOUND: -32001,
} as const;

export const SESSION_HEADER = 'mcp-session-id';

/** Write a complete JSON reply. Does nothing if a reply was already started. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: OutgoingHttpHeaders): void {
  if (res.headersSent || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A JSON-RPC error not tied to any request (`id: null`), with an HTTP status. */
export function sendRpcError(res: ServerResponse, status: number, code: number, message: string, headers?: OutgoingHttpHeaders): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

export function sendSessionNotFound(res: ServerResponse): void {
  sendRpcError(res, 404, RpcCode.SESSION_NOT_FOUND, 'Session not found');
}

/** A reply without a body (202, 204, 200 for DELETE). */
export function sendEmpty(res: ServerResponse, status: number, headers?: OutgoingHttpHeaders): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, headers);
  res.end();
}

/** One Server-Sent Event carrying a JSON-RPC message. */
export function sseEvent(message: unknown): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;
