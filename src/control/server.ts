import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { ManagerError, errorMessage, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { createEventStreams } from './event-stream.js';
import type { ControlHandlers } from './types.js';
import { redact } from '../redact.js';

export interface ControlServerOptions {
  socketPath: string;
  handlers: ControlHandlers;
  logger: Logger;
  /** Larger request bodies get 413. Default 64 KiB. */
  maxBodyBytes?: number;
  /** The same limit for `POST /call`, whose tool arguments may be large. Default 4 MiB. */
  maxCallBodyBytes?: number;
  /** How long `close()` lets in-flight requests finish before cutting them. Default 5 s. */
  closeGraceMs?: number;
}

export interface ControlServer {
  readonly socketPath: string;
  /** Stop accepting, let in-flight requests finish (bounded), remove the socket file. */
  close(): Promise<void>;
}

/** Wire errors of the control API: `{ error: { code, message, data? } }` with an HTTP status. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  USAGE: 400,
  SERVER_NOT_FOUND: 404,
  TOOL_NOT_FOUND: 404,
  SERVER_UNAVAILABLE: 503,
  SERVER_BUSY: 503,
};

interface Reply {
  body: unknown;
  /** Runs once the reply has been handed to the socket. */
  after?: () => void;
}

interface RouteRequest {
  query: URLSearchParams;
  params: string[];
  /** The JSON request body; `{}` when there was none. */
  body: Record<string, unknown>;
}

type Route = (request: RouteRequest) => Promise<Reply> | Reply;

interface RouteEntry {
  pattern: RegExp;
  method: 'GET' | 'POST';
  run: Route;
  /** Overrides the server-wide body limit. */
  maxBodyBytes?: number;
}

const SERVER_ACTIONS = { start: 'startServer', stop: 'stopServer', restart: 'restartServer' } as const;

/**
 * The control API: HTTP/JSON on a unix socket, mode 0600. The caller holds the state-dir
 * lock, so a socket file already at `socketPath` is stale and is replaced.
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { socketPath, handlers, logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const maxCallBodyBytes = options.maxCallBodyBytes ?? 4 * 1024 * 1024;
  const closeGraceMs = options.closeGraceMs ?? 5000;
  const log = logger.child({ component: 'control' });

  const routes: RouteEntry[] = [
    {
      pattern: /^\/status$/,
      method: 'GET',
      run: ({ query }) => ({ body: handlers.status({ detailed: isTrue(query.get('detailed')) }) }),
    },
    {
      pattern: /^\/servers$/,
      method: 'GET',
      run: () => ({ body: { servers: handlers.status({ detailed: false }).servers } }),
    },
    {
      pattern: /^\/servers\/([^/]+)\/(start|stop|restart)$/,
      method: 'POST',
      run: async ({ params: [encoded = '', action = ''] }) => {
        const name = decodeName(encoded);
        const handler = SERVER_ACTIONS[action as keyof typeof SERVER_ACTIONS];
        log.info({ server: name, action }, `control: ${action} server`);
        await handlers[handler](name);
        return { body: { ok: true } };
      },
    },
    {
      pattern: /^\/shutdown$/,
      method: 'POST',
      run: () => {
        log.info('control: shutdown requested');
        return {
          body: { ok: true },
          after: () => {
            Promise.resolve()
              .then(() => handlers.shutdown())
              .catch((error: unknown) => log.error({ err: error }, 'shutdown failed'));
          },
        };
      },
    },
    {
      pattern: /^\/capabilities$/,
      method: 'GET',
      run: ({ query }) => {
        if (!handlers.capabilities) throw notAvailable('capabilities');
        return { body: handlers.capabilities(serverFilter(query)) };
      },
    },
    {
      pattern: /^\/call$/,
      method: 'POST',
      maxBodyBytes: maxCallBodyBytes,
      run: async ({ body }) => {
        if (!handlers.callTool) throw notAvailable('call');
        const { server, tool, args } = parseCallBody(body);
        log.info({ server, tool }, 'control: call tool');
        return { body: await handlers.callTool(server, tool, args) };
      },
    },
    {
      pattern: /^\/health$/,
      method: 'GET',
      run: ({ query }) => {
        if (!handlers.health) throw notAvailable('health');
        return { body: handlers.health(serverFilter(query)) };
      },
    },
    {
      pattern: /^\/inspect$/,
      method: 'GET',
      run: ({ query }) => {
        if (!handlers.inspect) throw notAvailable('inspect');
        const name = query.get('name');
        if (name === '') throw new RequestError(400, 'USAGE', 'query parameter "name" must not be empty');
        return { body: handlers.inspect(name ?? undefined) };
      },
    },
    {
      pattern: /^\/reload$/,
      method: 'POST',
      run: async ({ query }) => {
        if (!handlers.reload) throw notAvailable('reload');
        const since = query.get('since');
        if (since !== null && !/^\d{1,15}$/.test(since)) {
          throw new RequestError(400, 'USAGE', 'query parameter "since" must be a config generation (a whole number)');
        }
        log.info('control: reload requested');
        return { body: await handlers.reload(since === null ? {} : { since: Number(since) }) };
      },
    },
  ];

  const streams = createEventStreams(handlers);
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    let status = 200;
    try {
      const url = new URL(req.url ?? '/', 'http://control');
      // the event stream stays open; it is not a request/reply route
      if (url.pathname === '/events' && req.method === 'GET') {
        if (streams.serve(req, res, url.searchParams)) return;
        throw notAvailable('events');
      }
      const matching = routes.filter((route) => route.pattern.test(url.pathname));
      const route = matching.find((r) => r.method === req.method);
      // Read the whole body even for a request we refuse, so the client gets to read our reply.
      const text = await readBody(req, route?.maxBodyBytes ?? maxBodyBytes);
      if (matching.length === 0) throw new RequestError(404, 'USAGE', `unknown control route ${req.method} ${url.pathname}`);
      if (!route) {
        const allow = matching.map((r) => r.method).join(', ');
        throw new RequestError(405, 'USAGE', `method ${req.method} not allowed on ${url.pathname} (allowed: ${allow})`, {
          allow,
        });
      }
      const body = text.trim() === '' ? {} : parseJsonObject(text);
      const params = route.pattern.exec(url.pathname)?.slice(1) ?? [];
      reply = await route.run({ query: url.searchParams, params, body });
    } catch (error) {
      const wire = toWireError(error);
      // 501 is a missing optional operation, not a fault of the manager.
      if (wire.status >= 500 && wire.status !== 501) log.error({ err: error }, 'control request failed');
      else log.debug({ code: wire.body.error.code }, wire.body.error.message);
      status = wire.status;
      reply = { body: wire.body };
      for (const [name, value] of Object.entries(wire.headers)) res.setHeader(name, value);
    }
    send(res, status, reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Only reachable if writing the reply itself failed.
      log.error({ err: error }, 'control reply failed');
      res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    socket.destroy();
  });

  removeStaleSocket(socketPath);
  await listen(server, socketPath);
  chmodSync(socketPath, 0o600);
  log.debug({ socketPath }, 'control API listening');

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), closeGraceMs);
        streams.closeAll();
        server.close(() => {
          clearTimeout(force);
          removeQuietly(socketPath);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function isTrue(value: string | null): boolean {
  return value === '1' || value === 'true';
}

/** 501: the running manager was built without this operation. */
function notAvailable(operation: string): RequestError {
  return new RequestError(501, 'USAGE', `${operation} is not available in this manager`);
}

/** `?server=NAME`: absent means every server; present it must name one. */
function serverFilter(query: URLSearchParams): string | undefined {
  const server = query.get('server');
  if (server === null) return undefined;
  if (server === '') throw new RequestError(400, 'USAGE', 'query parameter "server" must not be empty');
  return server;
}

const CALL_KEYS = new Set(['server', 'tool', 'args']);

/** `{server, tool, args?}`: names are non-empty strings, `args` a JSON object (default `{}`). */
function parseCallBody(body: Record<string, unknown>): { server: string; tool: string; args: Record<string, unknown> } {
  const unknown = Object.keys(body).filter((key) => !CALL_KEYS.has(key));
  if (unknown.length > 0) {
    throw new RequestError(400, 'USAGE', `unknown field${unknown.length === 1 ? '' : 's'} in /call body: ${unknown.join(', ')}`);
  }
  const { server, tool, args = {} } = body;
  if (typeof server !== 'string' || server === '') {
    throw new RequestError(400, 'USAGE', '/call body needs "server": the server name as a non-empty string');
  }
  if (typeof tool !== 'string' || tool === '') {
    throw new RequestError(400, 'USAGE', '/call body needs "tool": the tool name as a non-empty string');
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new RequestError(400, 'USAGE', '/call body field "args" must be a JSON object');
  }
  return { server, tool, args: args as Record<string, unknown> };
}

function decodeName(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new RequestError(400, 'USAGE', `malformed server name in path: ${encoded}`);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining past the limit so the client can read our 413.
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) reject(new RequestError(413, 'USAGE', `request body is larger than ${limit} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, 'USAGE', `request body is not valid JSON: ${errorMessage(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestError(400, 'USAGE', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

interface WireError {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: ErrorCode; message: string; data?: Record<string, unknown> } };
}

function toWireError(error: unknown): WireError {
  if (error instanceof RequestError) {
    return { status: error.status, headers: error.headers, body: { error: { code: error.code, message: error.message } } };
  }
  if (ManagerError.is(error)) {
    return {
      status: STATUS_OF_CODE[error.code] ?? 500,
      headers: {},
      body: { error: { code: error.code, message: error.message, data: error.data } },
    };
  }
  return { status: 500, headers: {}, body: { error: { code: 'INTERNAL', message: `internal error: ${errorMessage(error)}` } } };
}

function send(res: ServerResponse, status: number, reply: Reply): void {
  let text: string;
  try {
    // status, health, errors: nothing the manager knows as secret leaves through this socket
    text = redact(`${JSON.stringify(reply.body)}\n`);
  } catch (error) {
    status = 500;
    text = `${JSON.stringify({ error: { code: 'INTERNAL', message: `cannot serialize reply: ${errorMessage(error)}` } })}\n`;
    reply = { body: null };
  }
  if (reply.after) res.once('finish', reply.after);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function removeStaleSocket(socketPath: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) {
    throw new ManagerError('CONTROL_FAILED', `refusing to replace ${socketPath}: it exists and is not a socket`, {
      data: { socketPath },
    });
  }
  unlinkSync(socketPath);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Bind under umask 0177 so the socket is never reachable by others, not even briefly. */
function listen(server: ReturnType<typeof createServer>, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new ManagerError('CONTROL_FAILED', `cannot listen on control socket ${socketPath}: ${error.message}`, {
          data: { socketPath },
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    let previous: number | undefined;
    try {
      previous = process.umask(0o177);
    } catch {
      // worker threads cannot change the umask; the chmod after listen still applies
    }
    try {
      // For unix sockets the bind happens synchronously inside listen().
      server.listen(socketPath, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      if (previous !== undefined) process.umask(previous);
    }
  });
}
