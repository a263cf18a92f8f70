/**
 * The HTTP baseline of the eras benchmark, run as its own process: the v2 SDK
 * (`@modelcontextprotocol/server`) serving both protocol eras on one URL, the way its
 * documentation pairs them: `isLegacyRequest` routes 2025-era traffic to stateful sessions
 * (`WebStandardStreamableHTTPServerTransport`, one McpServer per session) and everything
 * else to the modern per-request entry (`createMcpHandler`, `legacy: 'reject'`). Served on
 * `node:http` through `@hono/node-server`'s request listener. Tools: `echo` and `pid`, as in
 * test/fixtures/servers/echo.mjs, answered in-process.
 *
 * Protocol (driven by bench/eras.ts), as lib/sdk-http-server.ts:
 *   stdout, one JSON line once listening: {"type":"ready","port":N,"pid":N}  or  {"type":"error","message":"…"}
 *   then stdin EOF → close every session and the listener → exit.
 *
 * Must stay self-contained (node:*, the SDK, @hono/node-server and zod only): the bench
 * transpiles this file with TypeScript and runs it with plain `node`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  McpServer,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { z } from 'zod';

const send = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);
const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();

function newServer(): McpServer {
  const server = new McpServer({ name: 'fixture-echo', version: '1.0.0' });
  const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: String(value) }] });
  server.registerTool('echo', { description: 'Echo text', inputSchema: z.object({ text: z.string() }) }, ({ text: t }) => text(t));
  server.registerTool('pid', { description: 'Process id' }, () => text(process.pid));
  return server;
}

const modern = createMcpHandler(newServer, { legacy: 'reject' });

const jsonError = (status: number, message: string): Response =>
  Response.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, { status });

async function legacy(request: Request, body: unknown): Promise<Response> {
  const sessionId = request.headers.get('mcp-session-id');
  if (sessionId !== null) {
    const transport = sessions.get(sessionId);
    if (!transport) return jsonError(404, 'Session not found');
    return transport.handleRequest(request, { parsedBody: body });
  }
  if (request.method !== 'POST' || !isInitializeRequest(body)) return jsonError(400, 'Bad Request: no valid session ID provided');
  const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      sessions.set(id, transport);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
  };
  await newServer().connect(transport);
  return transport.handleRequest(request, { parsedBody: body });
}

async function handle(request: Request): Promise<Response> {
  if (new URL(request.url).pathname !== '/mcp') return jsonError(404, 'Not found');
  let body: unknown;
  if (request.method === 'POST') {
    try {
      // the body is read once here; both entries take it as parsedBody
      body = JSON.parse(await request.text());
    } catch {
      return jsonError(400, 'Parse error');
    }
  }
  if (await isLegacyRequest(request, body)) return legacy(request, body);
  return modern.fetch(request, { parsedBody: body });
}

const listener = getRequestListener(async (request) => {
  try {
    return await handle(request);
  } catch (error) {
    return jsonError(500, error instanceof Error ? error.message : String(error));
  }
});
const http = createServer({ noDelay: true }, (req, res) => void listener(req, res));

http.once('error', (error) => {
  send({ type: 'error', message: error.message });
  process.exit(1);
});
http.listen({ host: '127.0.0.1', port: 0 }, () => {
  send({ type: 'ready', port: (http.address() as AddressInfo).port, pid: process.pid });
});

process.stdin.resume();
process.stdin.once('end', () => {
  void Promise.allSettled([...sessions.values()].map((t) => t.close()).concat(modern.close())).then(() => {
    http.closeAllConnections();
    http.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
});
