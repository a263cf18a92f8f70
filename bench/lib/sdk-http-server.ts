/**
 * The HTTP baseline of the gateway benchmark, run as its own process: the SDK's own
 * Streamable HTTP server (`McpServer` + `StreamableHTTPServerTransport` on `node:http`),
 * stateful sessions (one McpServer and transport per session, as in the SDK's examples),
 * serving the same `echo` (and `pid`) tools as test/fixtures/servers/echo.mjs.
 *
 * The body is read and JSON-parsed here and handed over as `parsedBody`, as the SDK's
 * express examples do (`express.json()`): the transport's fastest documented path.
 *
 * Protocol (driven by bench/gateway.ts):
 *   env MCP_BENCH_SDK_HTTP = {"jsonResponse": false}   (true: enableJsonResponse, plain JSON replies instead of SSE)
 *   stdout, one JSON line once listening: {"type":"ready","port":N,"pid":N}  or  {"type":"error","message":"…"}
 *   then stdin EOF → close every session and the listener → exit.
 *
 * Must stay self-contained (node:*, the SDK and zod only): the bench transpiles this file
 * with TypeScript and runs it with plain `node`, as the manager runs from dist/.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const send = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);
const input = JSON.parse(process.env.MCP_BENCH_SDK_HTTP ?? '{}') as { jsonResponse?: boolean };
const transports = new Map<string, StreamableHTTPServerTransport>();

function newServer(): McpServer {
  const server = new McpServer({ name: 'fixture-echo', version: '1.0.0' });
  const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: String(value) }] });
  server.registerTool('echo', { description: 'Echo text', inputSchema: { text: z.string() } }, ({ text: t }) => text(t));
  server.registerTool('pid', { description: 'Process id' }, () => text(process.pid));
  return server;
}

function replyError(res: ServerResponse, status: number, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  req.setEncoding('utf8');
  for await (const chunk of req) text += chunk as string;
  return JSON.parse(text);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if ((req.url ?? '').split('?')[0] !== '/mcp') return replyError(res, 404, 'Not found');
  const header = req.headers['mcp-session-id'];
  const sessionId = typeof header === 'string' ? header : undefined;
  const existing = sessionId === undefined ? undefined : transports.get(sessionId);
  if (req.method !== 'POST') {
    if (!existing) return replyError(res, sessionId === undefined ? 400 : 404, 'Bad Request: no valid session ID provided');
    return existing.handleRequest(req, res);
  }
  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    return replyError(res, 400, 'Parse error');
  }
  if (existing) return existing.handleRequest(req, res, body);
  if (sessionId !== undefined) return replyError(res, 404, 'Session not found');
  if (!isInitializeRequest(body)) return replyError(res, 400, 'Bad Request: no valid session ID provided');

  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: input.jsonResponse === true,
    onsessioninitialized: (id) => {
      transports.set(id, transport);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined) transports.delete(transport.sessionId);
  };
  await newServer().connect(transport);
  await transport.handleRequest(req, res, body);
}

const http = createServer({ noDelay: true }, (req, res) => {
  handle(req, res).catch((error: unknown) => {
    if (!res.headersSent) replyError(res, 500, error instanceof Error ? error.message : String(error));
    else res.destroy();
  });
});

http.once('error', (error) => {
  send({ type: 'error', message: error.message });
  process.exit(1);
});
http.listen({ host: '127.0.0.1', port: 0 }, () => {
  send({ type: 'ready', port: (http.address() as AddressInfo).port, pid: process.pid });
});

process.stdin.resume();
process.stdin.once('end', () => {
  void Promise.allSettled([...transports.values()].map((t) => t.close())).then(() => {
    http.closeAllConnections();
    http.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
});
