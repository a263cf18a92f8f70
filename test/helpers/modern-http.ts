/**
 * A raw 2026-07-28 request over Streamable HTTP, as a lean client sends it: the standard
 * headers (unless told otherwise) and the per-request envelope in `params._meta`.
 */
export const MODERN = '2026-07-28';

/** A raw 2026-07-28 request, with the standard headers unless told otherwise. */
export async function modernPost(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  capabilities: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
  signal?: AbortSignal,
) {
  const name = typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
  const response = await fetch(url, {
    method: 'POST',
    ...(signal === undefined ? {} : { signal }),
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(name === undefined ? {} : { 'mcp-name': name }),
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': headers['mcp-protocol-version'] ?? MODERN,
          'io.modelcontextprotocol/clientCapabilities': capabilities,
          ...meta,
        },
      },
    }),
  });
  const text = await response.text();
  type Message = {
    method?: string;
    params?: Record<string, unknown>;
    result?: Record<string, unknown>;
    error?: { code: number; message: string; data?: unknown };
  };
  // a JSON answer, or an SSE stream of messages (notifications, then the answer)
  const messages: Message[] = text.startsWith('{')
    ? [JSON.parse(text) as Message]
    : text
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => JSON.parse(line.slice('data:'.length)) as Message);
  const json = messages.find((m) => m.result !== undefined || m.error !== undefined);
  return { status: response.status, headers: response.headers, json, messages, text };
}
