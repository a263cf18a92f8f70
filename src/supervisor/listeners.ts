/**
 * Where clients reach the gateway: Streamable HTTP (with `/healthz` and `/readyz`) and
 * stdio. Each is loaded only when used, so start-up pays for what it serves.
 */
import type { RouterActor } from '../../machines/router.machine.js';
import type { Config } from '../config/types.js';
import type { Gateway } from '../gateway/gateway.js';
import type { GatewayHttp, GatewayHttpOptions } from '../gateway/http/listener.js';
import type { Logger } from '../logger.js';

export interface ListenerParts {
  gateway: Gateway;
  router: RouterActor;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  config: Config;
  /** Stop the manager (the stdio client went away), saying why. */
  stop: (reason: string) => Promise<void>;
  /** More routes on the HTTP listener (/metrics), behind its checks. */
  routes?: GatewayHttpOptions['extraRoutes'];
}

export async function listenHttp(
  listen: { host: string; port: number },
  { gateway, router, logger, env, config, routes }: ListenerParts,
): Promise<GatewayHttp> {
  const { startGatewayHttp } = await import('../gateway/http/listener.js');
  const http = await startGatewayHttp({
    host: listen.host,
    port: listen.port,
    connectSession: async (transport) => {
      await gateway.connect(transport);
    },
    readiness: () => {
      const { instances } = router.getSnapshot().context;
      const routable = Object.entries(instances)
        .filter(([, r]) => r.routable)
        .map(([id]) => id);
      return { ready: routable.length > 0, detail: { routable } };
    },
    ...(env.MCP_MANAGER_TOKEN ? { bearerToken: env.MCP_MANAGER_TOKEN } : {}),
    maxSessions: config.manager.httpSessions,
    sessionIdleTimeoutMs: config.manager.sessionIdleTimeoutMs,
    logger: logger.child({ component: 'http' }),
    ...(routes ? { extraRoutes: routes } : {}),
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
  const transport = new StdioEndpointTransport({ logger: logger.child({ component: 'stdio' }) });
  const client = await gateway.connect(transport);
  const closeClient = client.server.onclose;
  client.server.onclose = () => {
    closeClient?.();
    void stop(`the stdio client went away (${transport.closeReason ?? 'closed'})`);
  };
}
