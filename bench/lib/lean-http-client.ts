/**
 * A lean MCP Streamable HTTP client for the gateway benchmark: raw JSON-RPC POSTs over a
 * keep-alive `node:http` agent, no SDK. Legacy era (the default): initialize once → read
 * `mcp-session-id` → `notifications/initialized` → requests. Modern era (`era: 'modern'`,
 * 2026-07-28): no handshake and no session; every request carries the `MCP-Protocol-Version`,
 * `Mcp-Method` and `Mcp-Name` headers and its protocol version, client info and
 * capabilities in `params._meta`. Replies may be plain JSON or an SSE stream (the
 * SDK's server answers with SSE by default); both are parsed. It measures the server, so it
 * does as little as a client can: no schema validation, one header object per request.
 */
import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export const LEAN_PROTOCOL_VERSION = '2025-06-18';
export const LEAN_MODERN_PROTOCOL_VERSION = '2026-07-28';
const CLIENT_INFO = { name: 'bench-lean', version: '0.0.0' };
/** What a modern request carries in `params._meta` (the same object for every request). */
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': LEAN_MODERN_PROTOCOL_VERSION,
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
  'io.modelcontextprotocol/clientCapabilities': {},
};
const REQUEST_TIMEOUT_MS = 30_000;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

interface RpcMessage {
  jsonrpc: '2.0';
  id?: number | string;
  result?: unknown;
  error?: { code: number; message: string };
}

export interface ToolResult {
  content?: { type: string; text?: string }[];
  isError?: boolean;
}

export class LeanMcpHttpClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly path: string;
  private readonly modern: boolean;
  private sessionId: string | undefined;
  private nextId = 1;

  constructor(url: string, options: { maxSockets?: number; era?: 'legacy' | 'modern' } = {}) {
    this.modern = options.era === 'modern';
    const parsed = new URL(url);
    this.host = parsed.hostname;
    this.port = Number(parsed.port || 80);
    this.path = parsed.pathname;
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 32 });
  }

  /** Legacy era: the handshake that opens the session. Modern era: nothing to do (no handshake). */
  async initialize(): Promise<void> {
    if (this.modern) return;
    const reply = await this.post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: LEAN_PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO },
    });
    if (reply.status !== 200) throw new Error(`initialize: HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
    const id = reply.headers['mcp-session-id'];
    if (typeof id !== 'string') throw new Error('initialize: no mcp-session-id header in the reply');
    this.sessionId = id;
    responseTo(0, reply);
    const initialized = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    if (initialized.status !== 202 && initialized.status !== 200) throw new Error(`notifications/initialized: HTTP ${initialized.status}`);
  }

  async request<T = unknown>(method: string, params: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    const reply = this.modern
      ? await this.send('POST', JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: MODERN_META } }), {
          'mcp-method': method,
          ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
        })
      : await this.post({ jsonrpc: '2.0', id, method, params });
    if (reply.status !== 200) throw new Error(`${method}: HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
    return responseTo(id, reply) as T;
  }

  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    return this.request<ToolResult>('tools/call', { name, arguments: args });
  }

  /** End the session (DELETE) and drop the pooled sockets. */
  async close(): Promise<void> {
    try {
      if (this.sessionId !== undefined) await this.send('DELETE', undefined);
    } catch {
      // the server may be gone already
    } finally {
      this.sessionId = undefined;
      this.agent.destroy();
    }
  }

  private post(message: Record<string, unknown>): Promise<Reply> {
    return this.send('POST', JSON.stringify(message));
  }

  private send(method: 'POST' | 'DELETE', body: string | undefined, extra?: OutgoingHttpHeaders): Promise<Reply> {
    const headers: OutgoingHttpHeaders = {
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': this.modern ? LEAN_MODERN_PROTOCOL_VERSION : LEAN_PROTOCOL_VERSION,
      ...extra,
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId;
    return new Promise<Reply>((resolve, reject) => {
      const req = request({ host: this.host, port: this.port, path: this.path, method, headers, agent: this.agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${this.path}: no reply within ${REQUEST_TIMEOUT_MS} ms`)));
      req.end(body);
    });
  }
}

/** The result of the response to `id` in a JSON or SSE reply; throws on a JSON-RPC error or when it is missing. */
function responseTo(id: number | string, reply: Reply): unknown {
  const type = reply.headers['content-type'] ?? '';
  const messages: RpcMessage[] = [];
  if (type.startsWith('text/event-stream')) {
    for (const line of reply.text.split('\n')) {
      if (line.startsWith('data:')) messages.push(JSON.parse(line.slice(5)) as RpcMessage);
    }
  } else {
    const value = JSON.parse(reply.text) as RpcMessage | RpcMessage[];
    if (Array.isArray(value)) messages.push(...value);
    else messages.push(value);
  }
  const response = messages.find((m) => m.id === id && ('result' in m || 'error' in m));
  if (!response) throw new Error(`no response to request ${id} in the reply (${type}): ${reply.text.slice(0, 200)}`);
  if (response.error) throw new Error(`request ${id}: JSON-RPC error ${response.error.code}: ${response.error.message}`);
  return response.result;
}
