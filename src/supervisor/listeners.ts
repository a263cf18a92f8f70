/**
 * Where clients reach the gateway: Streamable HTTP (with `/healthz` and `/readyz`) and
 * stdio. Each is loaded only when used, so start-up pays for what it serves.
 */
import type { RouterActor } from '../../machines/router.machine.js';
import type { Config } from '../config/types.js';
import type { ClientSession, Era, Gateway } from '../gateway/gateway.js';
import type { GatewayHttp } from '../gateway/http/listener.js';
import type { Logger } from '../logger.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ListenerParts {
  gateway: Gateway;
  router: RouterActor;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  config: Config;
  /** Stop the manager (the stdio client went away), saying why. */
  stop: (reason: string) => Promise<void>;
  /** More routes on the HTTP listener (`/ui`…), tried in order: each returns true when it answered. */
  routes?: ((req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>)[];
}

export async function listenHttp(
  listen: { host: string; port: number },
  { gateway, router, logger, env, config, routes = [] }: ListenerParts,
): Promise<GatewayHttp> {
  const { startGatewayHttp } = await import('../gateway/http/listener.js');
  const { createModernHttp } = await import('../gateway/modern/http-leg.js');
  // the 2026-07-28 leg: per request, on the same URL
  const modern = createModernHttp({
    factory: gateway.serverFactory(true),
    subscribe: (uris) => gateway.listen.acquire(uris),
    forward: (headers, res, body, outcome, authInfo) => gateway.forwarding.takeHttp(headers, res, body, outcome, authInfo),
    logger: logger.child({ component: 'http', era: 'modern' }),
  });
  gateway.listenStreams.add(modern.notify);
  const http = await startGatewayHttp({
    modern,
    host: listen.host,
    port: listen.port,
    connectSession: async (transport) => {
      await gateway.connect(transport);
    },
    readiness: () => {
      const { instances } = router.getSnapshot().context;
      const routable = [...instances].filter(([, r]) => r.routable).map(([id]) => id);
      return { ready: routable.length > 0, detail: { routable } };
    },
    ...(env.MCP_MANAGER_TOKEN ? { bearerToken: env.MCP_MANAGER_TOKEN } : {}),
    ...(env.MCP_MANAGER_ALLOWED_HOSTS
      ? {
          allowedHosts: env.MCP_MANAGER_ALLOWED_HOSTS.split(',')
            .map((h) => h.trim())
            .filter(Boolean),
        }
      : {}),
    maxSessions: config.manager.httpSessions,
    sessionIdleTimeoutMs: config.manager.sessionIdleTimeoutMs,
    ...(routes.length > 0 ? { extraRoutes: (req, res) => firstRoute(routes, req, res) } : {}),
    logger: logger.child({ component: 'http' }),
  });
  logger.info({ url: http.url }, 'gateway listening');
  return http;
}

/**
 * One client on this process's stdin/stdout; when it goes away, so does the manager. Bad
 * input (oversized, not JSON, nested too deeply) is answered with an error, never fatal.
 */
export async function listenStdio({ gateway, stop, logger }: ListenerParts): Promise<void> {
  const { StdioEndpointTransport } = await import('../gateway/stdio-endpoint.js');
  const { serveBothEras } = await import('../gateway/modern/stdio.js');
  const log = logger.child({ component: 'stdio' });
  const transport = new StdioEndpointTransport({
    logger: log,
    onEnded: (reason) => void stop(`the stdio client went away (${reason})`),
  });
  // the first message decides the era of the connection
  let client: ClientSession | undefined;
  const factory = (ctx: { era: Era }) => (client = gateway.openClient(ctx.era)).server;
  serveBothEras(transport, factory, { subscribe: (uris) => gateway.listen.acquire(uris), logger: log });
  // tool calls take the forwarding path where they can, straight on the endpoint
  gateway.forwarding.attach(() => client, transport);
}

async function firstRoute(routes: NonNullable<ListenerParts['routes']>, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  for (const route of routes) if (await route(req, res)) return true;
  return false;
}
