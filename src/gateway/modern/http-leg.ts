/**
 * The 2026-07-28 leg of the gateway's HTTP listener. The listener classifies every
 * session-less POST with the SDK's classifier; what is modern comes here and is served
 * per request by the SDK's modern entry (`createMcpHandler`, strict: no legacy serving
 * of its own), which checks the standard headers against the body, answers unknown
 * versions with the supported list, refuses removed methods, stamps `resultType`,
 * `serverInfo` and cache hints, and runs `subscriptions/listen`. A closed response
 * aborts the request, and with it the call upstream. A `tools/call` the gateway's
 * forwarding path can take (see forward.ts) goes there first, past the per-request server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  createMcpHandler,
  type AuthInfo,
  type InboundClassificationOutcome,
  type McpServerFactory,
  type ServerNotifier,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../logger.js';
import { RequestClassifier, type ClassifyHeaders } from './classify.js';

/** Upstream subscriptions a listen stream asks for: the URIs upstreams accepted, and how to let go of them. */
export interface ListenSubscriptions {
  accepted: string[];
  release: () => void;
}

export interface ModernHttpOptions {
  /** A fresh server for one modern request (the gateway's handlers on a per-request client). */
  factory: McpServerFactory;
  /** Subscribe upstream to the resource URIs a `subscriptions/listen` asks for. */
  subscribe?: (uris: string[]) => Promise<ListenSubscriptions>;
  /** The forwarding path: true when it took the request (and answers it on `res`). */
  forward?: (
    headers: ClassifyHeaders,
    res: ServerResponse,
    body: unknown,
    outcome: InboundClassificationOutcome,
    authInfo: AuthInfo | undefined,
  ) => boolean;
  logger: Logger;
}

export interface ModernHttp {
  /** Which leg a POST belongs to (the SDK's rules), from its headers and parsed body. */
  classify(req: IncomingMessage, body: unknown): InboundClassificationOutcome;
  /** Serve one modern POST (or answer a rejection) on `res`, given its classification. */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    authInfo: AuthInfo | undefined,
    outcome: InboundClassificationOutcome,
  ): Promise<void>;
  /** List-changed and resource-update events for open `subscriptions/listen` streams. */
  readonly notify: ServerNotifier;
  close(): Promise<void>;
}

export function createModernHttp(options: ModernHttpOptions): ModernHttp {
  const log = options.logger;
  const classifier = new RequestClassifier();
  const handler = createMcpHandler(options.factory, {
    legacy: 'reject',
    onerror: (error) => log.debug({ err: error.message }, 'modern request refused or failed'),
  });

  return {
    notify: handler.notify,
    classify(req, body) {
      return classifier.classify(body, standardHeaders(req));
    },
    async serve(req, res, body, authInfo, outcome) {
      if (options.forward?.(standardHeaders(req), res, body, outcome, authInfo) === true) return;
      const abort = new AbortController();
      // the client closing its end (before the whole reply is written) cancels the request
      const onClose = () => {
        if (!res.writableFinished) abort.abort();
      };
      res.once('close', onClose);
      let release: (() => void) | undefined;
      try {
        const listen = options.subscribe ? await listenSubscriptions(body, options.subscribe) : undefined;
        if (listen) {
          release = listen.release;
          body = listen.body;
        }
        const request = new Request(`http://gateway${req.url ?? '/mcp'}`, {
          method: 'POST',
          headers: webHeaders(req),
          signal: abort.signal,
        });
        const response = await handler.fetch(request, { parsedBody: body, ...(authInfo === undefined ? {} : { authInfo }) });
        await writeResponse(res, response);
      } finally {
        res.off('close', onClose);
        release?.();
      }
    },
    close: () => handler.close(),
  };
}

/** For a `subscriptions/listen` with resource URIs: subscribe upstream and keep only what upstreams accepted. */
async function listenSubscriptions(
  body: unknown,
  subscribe: NonNullable<ModernHttpOptions['subscribe']>,
): Promise<{ body: unknown; release: () => void } | undefined> {
  if (!isDict(body) || body.method !== 'subscriptions/listen' || !isDict(body.params)) return undefined;
  const filter = body.params.notifications;
  if (!isDict(filter) || !Array.isArray(filter.resourceSubscriptions)) return undefined;
  const uris = filter.resourceSubscriptions.filter((uri): uri is string => typeof uri === 'string');
  const { accepted, release } = await subscribe(uris);
  const narrowed = { ...filter, resourceSubscriptions: accepted };
  return { body: { ...body, params: { ...body.params, notifications: narrowed } }, release };
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  if (res.headersSent || res.destroyed) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  if (response.body === null) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  res.writeHead(response.status, headers);
  res.flushHeaders();
  const stream = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => res.write(chunk));
    stream.once('end', () => {
      res.end();
      resolve();
    });
    stream.once('error', () => {
      res.destroy();
      resolve();
    });
    res.once('close', () => {
      stream.destroy();
      resolve();
    });
  });
}

function standardHeaders(req: IncomingMessage): ClassifyHeaders {
  const out: ClassifyHeaders = {};
  const version = single(req.headers['mcp-protocol-version']);
  const method = single(req.headers['mcp-method']);
  const name = single(req.headers['mcp-name']);
  if (version !== undefined) out.protocolVersionHeader = version;
  if (method !== undefined) out.mcpMethodHeader = method;
  if (name !== undefined) out.mcpNameHeader = name;
  return out;
}

function webHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else headers.set(key, value);
  }
  return headers;
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
