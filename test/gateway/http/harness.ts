/**
 * A gateway listener on a real 127.0.0.1 socket, backed per session by a small low-level SDK
 * Server with four tools, plus clients: the real SDK client and a raw node:http one.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ListToolsRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { silentLogger } from '../../../src/logger.js';
import { startGatewayHttp, type GatewayHttp, type GatewayHttpOptions } from '../../../src/gateway/http/listener.js';
import type { HttpSessionTransport } from '../../../src/gateway/http/transport.js';

/** Poll `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A call of the `slow` tool, parked until the test releases it. */
export interface SlowCall {
  signal: AbortSignal;
  release(text?: string): void;
  /** Set once the handler has returned its result. */
  finished: boolean;
}

export interface Harness {
  gateway: GatewayHttp;
  /** Every session transport the gateway connected, in order. */
  transports: HttpSessionTransport[];
  servers: Server[];
  slowCalls: SlowCall[];
  /** What /readyz reports. */
  readiness: { ready: boolean; detail: Record<string, unknown> };
  /** Close clients opened through `connect`, then the gateway. */
  close(): Promise<void>;
  connect(options?: ConnectOptions): Promise<ConnectedClient>;
}

export interface ConnectOptions {
  token?: string;
  /** Answer to sampling/createMessage; default echoes the prompt upper-cased. */
  sample?: (prompt: string) => string;
}

export interface ConnectedClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

const TOOLS = [
  { name: 'echo', description: 'Echo text', inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } } } },
  {
    name: 'progress',
    description: 'Report progress, then finish',
    inputSchema: { type: 'object' as const, properties: { steps: { type: 'number' } } },
  },
  {
    name: 'sample',
    description: 'Ask the client to sample',
    inputSchema: { type: 'object' as const, properties: { prompt: { type: 'string' } } },
  },
  { name: 'slow', description: 'Wait until released', inputSchema: { type: 'object' as const } },
];

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

export function buildServer(slowCalls: SlowCall[]): Server {
  const server = new Server({ name: 'http-test-server', version: '0.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const args = request.params.arguments ?? {};
    switch (request.params.name) {
      case 'echo':
        return text(typeof args.text === 'string' ? args.text : '');
      case 'progress': {
        const steps = Number(args.steps ?? 3);
        const token = request.params._meta?.progressToken;
        if (token !== undefined) {
          for (let i = 1; i <= steps; i++) {
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps } });
          }
        }
        return text(`done after ${steps} steps`);
      }
      case 'sample': {
        const result = await extra.sendRequest(
          {
            method: 'sampling/createMessage',
            params: {
              messages: [{ role: 'user', content: { type: 'text', text: typeof args.prompt === 'string' ? args.prompt : '' } }],
              maxTokens: 16,
            },
          },
          CreateMessageResultSchema,
        );
        return text(result.content.type === 'text' ? `sampled: ${result.content.text}` : 'sampled: (not text)');
      }
      case 'slow': {
        let release!: (value: string) => void;
        const released = new Promise<string>((resolve) => (release = resolve));
        const call: SlowCall = { signal: extra.signal, release: (value = 'slow done') => release(value), finished: false };
        slowCalls.push(call);
        const value = await released;
        call.finished = true;
        return text(value);
      }
      default:
        return { ...text(`unknown tool ${request.params.name}`), isError: true };
    }
  });
  return server;
}

export async function startHarness(overrides: Partial<GatewayHttpOptions> = {}): Promise<Harness> {
  const transports: HttpSessionTransport[] = [];
  const servers: Server[] = [];
  const slowCalls: SlowCall[] = [];
  const readiness = { ready: true, detail: { routable: ['echo'] } as Record<string, unknown> };
  const gateway = await startGatewayHttp({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    readiness: () => readiness,
    connectSession: async (transport) => {
      const server = buildServer(slowCalls);
      transports.push(transport);
      servers.push(server);
      await server.connect(transport);
    },
    ...overrides,
  });
  const clients: Client[] = [];
  return {
    gateway,
    transports,
    servers,
    slowCalls,
    readiness,
    async connect(options = {}) {
      const client = new Client({ name: 'http-test-client', version: '0.0.0' }, { capabilities: { sampling: {} } });
      client.setRequestHandler(CreateMessageRequestSchema, (request) => {
        const first = request.params.messages[0]?.content;
        const prompt = first !== undefined && 'text' in first ? String(first.text) : '';
        return {
          role: 'assistant',
          model: 'test-model',
          content: { type: 'text', text: (options.sample ?? ((p: string) => p.toUpperCase()))(prompt) },
        };
      });
      const transport = new StreamableHTTPClientTransport(new URL(gateway.url), {
        requestInit: options.token === undefined ? undefined : { headers: { authorization: `Bearer ${options.token}` } },
      });
      await client.connect(transport);
      clients.push(client);
      return { client, transport };
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await gateway.close();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Receives the client request (e.g. to destroy it mid-call). */
  onRequest?: (req: ReturnType<typeof httpRequest>) => void;
}

/** One HTTP exchange on a fresh connection, with exactly the given headers. */
export function raw(port: number, options: RawRequest = {}): Promise<RawResponse> {
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/mcp',
        agent: false,
        headers: {
          ...(options.method === undefined || options.method === 'POST'
            ? { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    options.onRequest?.(req);
    req.end(body);
  });
}

export const INIT = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
} as const;

/** Initialize a session with raw HTTP; returns its id. */
export async function rawSession(port: number, headers: Record<string, string> = {}): Promise<string> {
  const init = await raw(port, { body: INIT, headers });
  const id = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof id !== 'string') throw new Error(`initialize failed: ${init.status} ${init.text}`);
  const initialized = await raw(port, {
    body: { jsonrpc: '2.0', method: 'notifications/initialized' },
    headers: { ...headers, 'mcp-session-id': id },
  });
  if (initialized.status !== 202) throw new Error(`initialized notification failed: ${initialized.status}`);
  return id;
}

export function callTool(id: number | string, name: string, args: Record<string, unknown> = {}, meta?: Record<string, unknown>) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } };
}

/** The JSON-RPC messages carried by an SSE body. */
export function sseMessages(body: string): unknown[] {
  return body
    .split('\n\n')
    .filter((event) => event.trim() !== '')
    .map((event) => {
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      return JSON.parse(data) as unknown;
    });
}
