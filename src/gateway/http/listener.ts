import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { ManagerError, errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { INVALID_PARAMS, excessiveNesting, nestingMessage, pruneDeepJson } from '../depth.js';
import { readBody } from './body.js';
import { hostHeadersFor, reachableNames } from './exposure.js';
import { allowedHostHeaders, bearerCheck, isLoopbackHost, originPolicy, urlHost } from './guard.js';
import { toMessages } from './jsonrpc.js';
import { RpcCode, sendEmpty, sendJson, sendRpcError, sendSessionNotFound } from './reply.js';
import { leastRecentlyUsedIdle } from './session-evict.js';
import { HttpSessionTransport } from './transport.js';
import type { ModernHttp } from '../modern/http-leg.js';

export interface GatewayHttpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Connect a fresh per-session MCP server (low-level SDK Server) to the transport. */
  connectSession(transport: HttpSessionTransport): Promise<void>;
  /** /readyz: ready when at least one server is routable, with detail. */
  readiness(): { ready: boolean; detail: Record<string, unknown> };
  /** `Authorization: Bearer` token. Required when host is not loopback; optional otherwise. */
  bearerToken?: string;
  /** Origins allowed besides loopback ones (exact, e.g. `https://app.example.com`). */
  allowedOrigins?: string[];
  /** Host header values allowed besides 127.0.0.1/localhost/[::1] with the port. */
  allowedHosts?: string[];
  /** Larger POST bodies get 413. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Sessions held at once; at the cap the least recently used idle one is closed. Default 1000. */
  maxSessions?: number;
  /** Sessions without any request (and nothing open) for this long are closed. Default 30 min. */
  sessionIdleTimeoutMs?: number;
  logger: Logger;
  /** The 2026-07-28 leg: session-less POSTs it classifies as modern are served there. */
  modern?: ModernHttp;
  /** Other routes on the same listener (/metrics, /ui): return true when handled. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface GatewayHttp {
  /** `http://host:port/mcp` */
  readonly url: string;
  readonly port: number;
  sessionCount(): number;
  /** Idle sessions closed so far to make room for a new one at the cap. */
  evictions(): number;
  /** Closes all sessions and the listener. */
  close(): Promise<void>;
}

const DEFAULTS = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxSessions: 1000,
  sessionIdleTimeoutMs: 30 * 60 * 1000,
  /** Longer than common client pools keep idle sockets, so reuse rarely races a server close. */
  keepAliveTimeoutMs: 65_000,
  /** How long close() lets replies in flight drain before cutting connections. */
  closeGraceMs: 1000,
} as const;

const MCP_PATH = '/mcp';
const MCP_METHODS = 'GET, POST, DELETE';
const CORS_HEADERS = 'content-type, accept, authorization, mcp-session-id, mcp-protocol-version, mcp-method, mcp-name, last-event-id';

/**
 * The gateway's HTTP listener: MCP Streamable HTTP at /mcp (one HttpSessionTransport per
 * session), /healthz, /readyz and the caller's extra routes, behind Host/Origin checks
 * and an optional bearer token.
 */
export async function startGatewayHttp(options: GatewayHttpOptions): Promise<GatewayHttp> {
  const { host, logger } = options;
  const log = logger.child({ component: 'gateway-http' });
  const maxBodyBytes = positiveInteger('maxBodyBytes', options.maxBodyBytes ?? DEFAULTS.maxBodyBytes);
  const maxSessions = positiveInteger('maxSessions', options.maxSessions ?? DEFAULTS.maxSessions);
  const idleTimeoutMs = positiveInteger('sessionIdleTimeoutMs', options.sessionIdleTimeoutMs ?? DEFAULTS.sessionIdleTimeoutMs);
  if (options.bearerToken === '') throw new ManagerError('USAGE', 'gateway http: bearerToken: expected a non-empty string, got ""');
  const loopback = isLoopbackHost(host);
  if (!loopback && options.bearerToken === undefined) {
    throw new ManagerError(
      'USAGE',
      `gateway http: refusing to listen on ${host} without a bearer token; bind a loopback address such as 127.0.0.1 or set a bearer token`,
      { data: { host } },
    );
  }

  const tokenMatches = options.bearerToken === undefined ? undefined : bearerCheck(options.bearerToken);
  const authInfo: AuthInfo | undefined =
    options.bearerToken === undefined ? undefined : Object.freeze({ token: options.bearerToken, clientId: 'bearer', scopes: [] });
  const originAllowed = originPolicy(options.allowedOrigins);
  /** Set once the port is known. */
  let hostsAllowed: Set<string> | undefined = undefined;
  const sessions = new Map<string, HttpSessionTransport>();
  let evictions = 0;
  let closing: Promise<void> | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostHeader = req.headers.host;
    if (hostsAllowed !== undefined && hostHeader !== undefined && !hostsAllowed.has(hostHeader.toLowerCase())) {
      log.debug({ host: hostHeader }, 'rejected Host header');
      sendRpcError(res, 403, RpcCode.SERVER_ERROR, `Forbidden: invalid Host header ${JSON.stringify(hostHeader)}`);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!originAllowed(origin)) {
        log.debug({ origin }, 'rejected Origin header');
        sendRpcError(res, 403, RpcCode.SERVER_ERROR, `Forbidden: invalid Origin header ${JSON.stringify(origin)}`);
        return;
      }
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', 'mcp-session-id');
      res.setHeader('vary', 'Origin');
    }

    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path === MCP_PATH) return handleMcp(req, res);
    if (path === '/healthz') return handleProbe(req, res, () => ({ status: 200, body: { status: 'ok' } }));
    // without the token (when one is set): ready or not, but no server names
    if (path === '/readyz')
      return handleProbe(req, res, tokenMatches === undefined || tokenMatches(req.headers.authorization) ? readiness : bareReadiness);
    if (options.extraRoutes !== undefined) {
      if (!authorized(req, res)) return;
      if (await options.extraRoutes(req, res)) return;
    }
    sendJson(res, 404, { error: `not found: ${path}` });
  }

  function authorized(req: IncomingMessage, res: ServerResponse): boolean {
    if (tokenMatches === undefined || tokenMatches(req.headers.authorization)) return true;
    log.debug('rejected request without a valid bearer token');
    sendRpcError(res, 401, RpcCode.SERVER_ERROR, 'Unauthorized: a valid bearer token is required', {
      'www-authenticate': 'Bearer realm="mcp-manager"',
    });
    return false;
  }

  function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const method = req.method;
    if (method === 'OPTIONS') {
      sendEmpty(res, 204, {
        allow: `${MCP_METHODS}, OPTIONS`,
        'access-control-allow-methods': `${MCP_METHODS}, OPTIONS`,
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? CORS_HEADERS,
        'access-control-max-age': '600',
      });
      return;
    }
    if (!authorized(req, res)) return;
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      sendRpcError(res, 405, RpcCode.SERVER_ERROR, 'Method not allowed', { allow: MCP_METHODS });
      return;
    }
    const sessionId = singleHeader(req, 'mcp-session-id');
    const version = singleHeader(req, 'mcp-protocol-version');
    if (method === 'POST') return handlePost(req, res, sessionId, version);

    if (sessionId === undefined) {
      sendRpcError(res, 400, RpcCode.SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required');
      return;
    }
    const transport = sessions.get(sessionId);
    if (transport === undefined) {
      sendSessionNotFound(res);
      return;
    }
    if (!versionSupported(res, version)) return;
    if (method === 'DELETE') {
      transport.handleDelete(req, res);
      return;
    }
    const accept = req.headers.accept;
    if (accept !== undefined && !acceptsAny(accept, ['text/event-stream', 'text/*', '*/*'])) {
      sendRpcError(res, 406, RpcCode.SERVER_ERROR, 'Not Acceptable: the client must accept text/event-stream');
      return;
    }
    transport.handleGet(req, res);
  }

  async function handlePost(
    req: IncomingMessage,
    res: ServerResponse,
    sessionId: string | undefined,
    version: string | undefined,
  ): Promise<void> {
    const accept = req.headers.accept;
    if (accept !== undefined && !acceptsAny(accept, ['application/json', 'text/event-stream', 'application/*', 'text/*', '*/*'])) {
      sendRpcError(res, 406, RpcCode.SERVER_ERROR, 'Not Acceptable: the client must accept application/json and text/event-stream');
      return;
    }
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && !isJsonMediaType(contentType)) {
      sendRpcError(res, 415, RpcCode.SERVER_ERROR, 'Unsupported Media Type: Content-Type must be application/json');
      return;
    }
    let transport: HttpSessionTransport | undefined;
    if (sessionId !== undefined) {
      transport = sessions.get(sessionId);
      if (transport === undefined) {
        sendSessionNotFound(res);
        return;
      }
      if (!versionSupported(res, version)) return;
    }

    const body = await readBody(req, maxBodyBytes);
    if (body.kind === 'aborted') return;
    if (body.kind === 'too-large') {
      log.debug({ maxBodyBytes }, 'rejected oversized body');
      sendRpcError(res, 413, RpcCode.SERVER_ERROR, `Payload Too Large: the body exceeds ${maxBodyBytes} bytes`);
      return;
    }
    let value: unknown;
    try {
      // a document nested past the bound is cut short before parsing (V8 needs seconds for millions of levels)
      value = JSON.parse(pruneDeepJson(body.text));
    } catch {
      log.debug('rejected body: invalid JSON');
      sendRpcError(res, 400, RpcCode.PARSE_ERROR, 'Parse error: invalid JSON');
      return;
    }
    const parsed = toMessages(value);
    if (typeof parsed === 'string') {
      log.debug({ reason: parsed }, 'rejected body: not JSON-RPC');
      sendRpcError(res, 400, RpcCode.INVALID_REQUEST, `Invalid Request: ${parsed}`);
      return;
    }

    // bounded nesting, checked before anything recursive sees the message
    for (const message of parsed.messages) {
      const where = excessiveNesting(message);
      if (where === null) continue;
      const id = 'id' in message && message.id !== undefined ? message.id : null;
      const method = 'method' in message ? ` (${message.method})` : '';
      log.warn({ where }, 'rejected a message nested too deeply');
      sendJson(res, 400, { jsonrpc: '2.0', id, error: { code: INVALID_PARAMS, message: `${nestingMessage(where)}${method}` } });
      return;
    }

    // no session: the 2026-07-28 era (per request) or a 2025 initialize; the SDK's rules decide
    if (transport === undefined && options.modern !== undefined) {
      const outcome = options.modern.classify(req, value);
      if (outcome.kind !== 'legacy') {
        await options.modern.serve(req, res, value, authInfo, outcome);
        return;
      }
    }
    if (transport === undefined) {
      if (!parsed.hasInitialize) {
        sendRpcError(res, 400, RpcCode.SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required');
        return;
      }
      if (parsed.messages.length > 1) {
        sendRpcError(res, 400, RpcCode.INVALID_REQUEST, 'Invalid Request: initialize must be sent alone');
        return;
      }
      transport = await openSession(res);
      if (transport === undefined) return;
    } else {
      if (transport.isClosed) {
        sendSessionNotFound(res);
        return;
      }
      if (parsed.hasInitialize) {
        sendRpcError(res, 400, RpcCode.INVALID_REQUEST, 'Invalid Request: the session is already initialized');
        return;
      }
    }
    transport.handlePost(req, res, parsed.body, authInfo);
  }

  async function openSession(res: ServerResponse): Promise<HttpSessionTransport | undefined> {
    if (closing !== undefined) {
      sendRpcError(res, 503, RpcCode.SERVER_ERROR, 'Service Unavailable: the gateway is shutting down');
      return undefined;
    }
    if (sessions.size >= maxSessions) {
      const victim = leastRecentlyUsedIdle(sessions.values(), Date.now());
      if (victim === undefined) {
        log.warn({ maxSessions }, 'session limit reached and every session is busy; refusing a new session');
        sendRpcError(res, 503, RpcCode.SERVER_ERROR, `Service Unavailable: too many busy sessions (limit ${maxSessions})`);
        return undefined;
      }
      evictions++;
      log.info({ session: victim.sessionId, maxSessions, evictions }, 'session limit reached; closed the least recently used idle session');
      await victim.close();
      sessions.delete(victim.sessionId);
    }
    const transport = new HttpSessionTransport({
      sessionId: randomUUID(),
      logger: log,
      onClosed: (ended) => sessions.delete(ended.sessionId),
    });
    sessions.set(transport.sessionId, transport);
    try {
      await options.connectSession(transport);
    } catch (error) {
      log.warn({ err: error }, 'could not connect a new session');
      await transport.close();
      sendRpcError(res, 500, RpcCode.INTERNAL_ERROR, 'Internal error: could not open a session');
      return undefined;
    }
    log.debug({ session: transport.sessionId, sessions: sessions.size }, 'session opened');
    return transport;
  }

  function versionSupported(res: ServerResponse, version: string | undefined): boolean {
    if (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return true;
    sendRpcError(
      res,
      400,
      RpcCode.SERVER_ERROR,
      `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(version)} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
    );
    return false;
  }

  function readiness(): { status: number; body: unknown } {
    try {
      const { ready, detail } = options.readiness();
      return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', detail } };
    } catch (error) {
      log.warn({ err: error }, 'readiness check failed');
      return { status: 503, body: { status: 'not ready', detail: { error: errorMessage(error) } } };
    }
  }

  function bareReadiness(): { status: number; body: unknown } {
    const { status } = readiness();
    return { status, body: { status: status === 200 ? 'ready' : 'not ready' } };
  }

  function handleProbe(req: IncomingMessage, res: ServerResponse, probe: () => { status: number; body: unknown }): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
      return;
    }
    const { status, body } = probe();
    sendJson(res, status, body);
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.warn({ err: error }, 'gateway request failed');
      if (!res.headersSent) sendRpcError(res, 500, RpcCode.INTERNAL_ERROR, 'Internal error');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = DEFAULTS.keepAliveTimeoutMs;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: options.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw new ManagerError('USAGE', `gateway http: cannot listen on ${urlHost(host)}:${options.port}: ${errorMessage(error)}`, {
      data: { host, port: options.port },
      cause: error,
    });
  }
  server.on('error', (error) => log.warn({ err: error }, 'gateway listener error'));
  const port = (server.address() as AddressInfo).port;
  // beyond loopback too: the names this machine answers to, plus the configured extras
  hostsAllowed = allowedHostHeaders(
    host,
    port,
    loopback ? options.allowedHosts : [...(options.allowedHosts ?? []), ...hostHeadersFor(reachableNames(host), port)],
  );

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const transport of sessions.values()) {
        if (transport.idleMs(now) < idleTimeoutMs) continue;
        log.debug({ session: transport.sessionId }, 'closing idle session');
        void transport.close();
      }
    },
    Math.min(Math.max(Math.floor(idleTimeoutMs / 4), 10), 60_000),
  );
  sweep.unref();

  const url = `http://${urlHost(host)}:${port}${MCP_PATH}`;
  log.debug({ url }, 'gateway listening');

  return {
    url,
    port,
    sessionCount: () => sessions.size,
    evictions: () => evictions,
    close() {
      closing ??= (async () => {
        clearInterval(sweep);
        await options.modern?.close();
        await Promise.all([...sessions.values()].map((transport) => transport.close()));
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), DEFAULTS.closeGraceMs);
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
        log.debug('gateway listener closed');
      })();
      return closing;
    },
  };
}

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

function positiveInteger(name: string, value: number): number {
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new ManagerError('USAGE', `gateway http: ${name}: expected a positive integer, got ${String(value)}`);
}

/** Accept is a comma-separated list of media ranges; any of `ranges` present is enough. */
function acceptsAny(accept: string, ranges: readonly string[]): boolean {
  // Clients send the same Accept value on every request: the common ones are answered here.
  if (accept === 'application/json, text/event-stream' || accept === '*/*') return true;
  for (const part of accept.split(',')) {
    const range = (part.split(';')[0] ?? '').trim().toLowerCase();
    if (ranges.includes(range)) return true;
  }
  return false;
}

function isJsonMediaType(contentType: string): boolean {
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
}
