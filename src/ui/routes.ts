/**
 * The live statechart view on the gateway's HTTP listener (which has already checked Host,
 * Origin and, when configured, the bearer token):
 *
 *   GET  /ui                               the page (ui/index.html, app.js, app.css: no build step, no CDN)
 *   GET  /ui/events                        Server-Sent Events: a snapshot, then every transition
 *   GET  /ui/chart/server|supervisor       a machine's chart, laid out by ELK from its definition
 *   GET  /ui/history?instance=ID           an instance's recent transitions
 *   POST /ui/api/servers/NAME/start|stop|restart   the control API's handlers
 *
 * The buttons' POSTs must carry `Content-Type: application/json` and `X-MCP-Manager-UI: 1`
 * (which a form on another site cannot send without a CORS preflight, which is never
 * granted) and, when the browser names an Origin, it must be this listener's own.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../package-info.js';
import { ManagerError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { createLayoutCache } from '../statechart/layouts.js';
import { isMachineName } from '../statechart/machines.js';
import type { Feed } from '../supervisor/feed.js';
import { createEventStream, type EventStreamOptions } from './stream.js';
import type { ConfiguredServer } from './view.js';

export const UI_HEADER = 'x-mcp-manager-ui';

export interface UiActions {
  startServer(name: string): Promise<void> | void;
  stopServer(name: string): Promise<void> | void;
  restartServer(name: string): Promise<void> | void;
}

export interface UiOptions {
  feed: Feed;
  configured(): ConfiguredServer[];
  /** The control API's handlers: the buttons act through the same code. */
  actions: UiActions;
  logger: Logger;
  stream?: Pick<EventStreamOptions, 'maxClients' | 'maxBufferedBytes' | 'heartbeatMs'>;
}

export interface UiRoutes {
  /** True when the request was for `/ui…` (and has been answered). */
  handle: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  close: () => void;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/** Nothing but our own files, no framing by other sites. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const ACTIONS = { start: 'startServer', stop: 'stopServer', restart: 'restartServer' } as const;
const ACTION_PATH = /^\/ui\/api\/servers\/([^/]+)\/(start|stop|restart)$/;

const STATUS_OF_CODE: Record<string, number> = { USAGE: 400, SERVER_NOT_FOUND: 404, SERVER_UNAVAILABLE: 503, SERVER_BUSY: 503 };

export function createUiRoutes(options: UiOptions): UiRoutes {
  const log = options.logger.child({ component: 'ui' });
  const layouts = createLayoutCache();
  const stream = createEventStream({ feed: options.feed, configured: () => options.configured(), ...options.stream });
  const assets = new Map<string, Buffer>();
  const asset = (file: string) => {
    let body = assets.get(file);
    if (body === undefined) {
      body = readFileSync(join(packageRoot(), 'ui', file));
      assets.set(file, body);
    }
    return body;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://ui');
    const path = url.pathname;
    if (path !== '/ui' && !path.startsWith('/ui/')) return false;
    const method = req.method ?? 'GET';

    const action = ACTION_PATH.exec(path);
    if (action) {
      if (method !== 'POST') return refuse(res, 405, 'USAGE', 'use POST', { allow: 'POST' });
      await runAction(req, res, action[1]!, action[2] as keyof typeof ACTIONS);
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') return refuse(res, 405, 'USAGE', 'method not allowed', { allow: 'GET, HEAD' });

    const file = ASSETS[path];
    if (file) {
      const body = asset(file.file);
      res.writeHead(200, { ...PAGE_HEADERS, 'content-type': file.type, 'content-length': body.length });
      res.end(method === 'HEAD' ? undefined : body);
      return true;
    }
    if (path === '/ui/events') {
      stream.open(req, res);
      return true;
    }
    const chart = /^\/ui\/chart\/([a-z]+)$/.exec(path);
    if (chart) {
      const name = chart[1]!;
      if (!isMachineName(name)) return refuse(res, 404, 'USAGE', `no chart named ${name}`);
      json(res, 200, await layouts.layout(name));
      return true;
    }
    if (path === '/ui/history') {
      const instance = url.searchParams.get('instance');
      if (!instance) return refuse(res, 400, 'USAGE', 'query parameter "instance" is required');
      json(res, 200, { instance, transitions: options.feed.history(instance) });
      return true;
    }
    return refuse(res, 404, 'USAGE', `not found: ${path}`);
  }

  async function runAction(req: IncomingMessage, res: ServerResponse, encoded: string, action: keyof typeof ACTIONS): Promise<void> {
    const problem = csrfProblem(req);
    // the body is read whatever the verdict, so the client gets to read the reply
    await drain(req);
    if (problem) {
      log.warn({ problem }, 'refused a view action');
      refuse(res, 403, 'FORBIDDEN', problem);
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(encoded);
    } catch {
      refuse(res, 400, 'USAGE', `malformed server name in path: ${encoded}`);
      return;
    }
    log.info({ server: name, action }, `view: ${action} server`);
    try {
      await options.actions[ACTIONS[action]](name);
      json(res, 200, { ok: true });
    } catch (error) {
      const code = ManagerError.is(error) ? error.code : 'INTERNAL';
      refuse(res, STATUS_OF_CODE[code] ?? 500, code, errorMessage(error));
    }
  }

  return {
    handle,
    close: () => stream.close(),
  };
}

/** Why a button's request is not one our page made, or undefined when it is. */
export function csrfProblem(req: IncomingMessage): string | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return 'Content-Type must be application/json';
  if (req.headers[UI_HEADER] !== '1') return `the ${UI_HEADER} header is required`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return `Origin ${JSON.stringify(origin)} is not this page's`;
    }
    if (host.toLowerCase() !== (req.headers.host ?? '').toLowerCase()) return `Origin ${JSON.stringify(origin)} is not this page's`;
  }
  return undefined;
}

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 64 * 1024) req.destroy();
    });
    req.once('end', resolve);
    req.once('close', resolve);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function refuse(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): true {
  json(res, status, { error: { code, message } }, headers);
  return true;
}
