/**
 * The composition root: the one place that builds the logger, the session registry,
 * the machines (via `.provide`) and the root actor, then hands each part what it needs.
 */
import { createActor, fromPromise, waitFor, type AnyActorRef } from 'xstate';
import { publicState } from '../../machines/index.js';
import { routerMachine } from '../../machines/router.machine.js';
import { serverMachine, type InstanceRef, type ServerSnapshot } from '../../machines/server.machine.js';
import { supervisorMachine } from '../../machines/supervisor.machine.js';
import { packageRoot, packageVersion } from '../cli/package-info.js';
import { loadConfig } from '../config/read-isolated.js';
import type { Config } from '../config/types.js';
import { startControlServer } from '../control/server.js';
import type { ControlHandlers, StatusSnapshot } from '../control/types.js';
import { ManagerError, errorMessage, formatConfigIssue } from '../errors.js';
import { Gateway, policyOf } from '../gateway/gateway.js';
import type { GatewayHttp } from '../gateway/http/listener.js';
import { callServerTool, capabilitiesOf } from '../gateway/inspect.js';
import { createLogger, type Logger } from '../logger.js';
import { createLaunch } from '../server-actor/launch.js';
import { SessionRegistry } from '../server-actor/session.js';
import { createStop } from '../server-actor/stop.js';
import { createWatchExit } from '../server-actor/watch-exit.js';
import { acquireLock } from '../state/lock.js';
import { ensureStateDir, logFileOf, resolveStateDir, socketPathOf } from '../state/paths.js';
import { killGroupSync } from '../transports/process-group.js';
import { createInspection } from './inspection.js';
import { watchConfig } from '../discovery/watch.js';
import { startHealthMonitor } from '../health/monitor.js';
import { healthEntry } from './health-view.js';
import { createReloader } from './reload.js';
import { specOf } from './spec.js';
import { instanceSnapshots, serverStatuses } from './status.js';
import { serverOfInstance } from '../../machines/supervisor.machine.js';
import type { RunningManager, StartOptions } from './types.js';

/** States a command waits for: the server has come up, or is definitely down. */
const SETTLED = new Set(['healthy', 'degraded', 'unhealthy', 'critical', 'stopped', 'failed']);

export async function startManager(options: StartOptions = {}): Promise<RunningManager> {
  const env = options.env ?? process.env;
  const configFile = options.configFile ?? env.MCP_MANAGER_CONFIG ?? `${packageRoot()}/config/default.yaml`;
  const bootLogger = options.logger ?? createLogger();
  const config = await loadConfig(configFile, {
    env,
    onWarning: (w) => bootLogger.warn({ file: w.file }, formatConfigIssue(w)),
  });
  const logger = options.logger ?? createLogger({ level: config.manager.logLevel });

  const stateDir = options.stateDir ?? config.manager.stateDir ?? resolveStateDir({ env });
  ensureStateDir(stateDir);
  const lock = acquireLock(stateDir);
  try {
    return await run(config, stateDir, logger, () => lock.release(), { ...options, env });
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function run(
  config: Config,
  stateDir: string,
  logger: Logger,
  releaseLock: () => void,
  options: StartOptions & { env: NodeJS.ProcessEnv },
): Promise<RunningManager> {
  const startedAt = Date.now();
  const sessions = new SessionRegistry();
  let current = config;
  const configs = new Map(config.servers.map((s) => [s.name, s]));
  const inspection = createInspection(logger);

  // the routing table and the gateway follow every instance's state
  const router = createActor(routerMachine).start();
  for (const server of config.servers) router.send({ type: 'route.policy', server: server.name, policy: policyOf(server) });
  const gateway = new Gateway({
    router,
    sessions,
    configOf: (name) => configs.get(name),
    logger: logger.child({ component: 'gateway' }),
    serverInfo: { name: 'mcp-manager', version: packageVersion() },
  });
  // health checks run while an instance runs; results go back to it as events
  const monitor = startHealthMonitor({
    sessions,
    configOf: (name) => configs.get(name),
    send: (event) => root.send(event),
    overridesOf: (name) => configs.get(name)?.health,
    logger: logger.child({ component: 'health' }),
  });
  inspection.onChange((snapshot) => {
    const { instance } = snapshot.context;
    const server = serverOfInstance(instance);
    const state = publicState(snapshot);
    if (snapshot.hasTag('running')) monitor.watch(instance);
    else monitor.unwatch(instance);
    if (snapshot.value === 'removed') {
      router.send({ type: 'route.forget', instance });
      return;
    }
    router.send({
      type: 'route.instance',
      instance,
      server,
      state,
      routable: snapshot.hasTag('routable'),
      preferred: snapshot.hasTag('preferred'),
    });
    if (snapshot.hasTag('running')) {
      const session = sessions.get(instance);
      if (session) gateway.refreshServer(server, session);
    } else if (state === 'failed' || state === 'stopped') {
      // listed while any instance is up or on its way back; dropped when all are down
      const down = instanceSnapshots(root, server).every(({ snapshot: s }) => s.hasTag('down') || s.status !== 'active');
      if (down) gateway.refreshServer(server, undefined);
    }
  });

  const machine = supervisorMachine.provide({
    actors: {
      server: serverMachine.provide({
        actors: {
          launch: createLaunch({
            sessions,
            configOf: (name) => configs.get(name),
            logFileOf: (instance) => logFileOf(stateDir, instance),
            logger,
            clientInfo: { name: 'mcp-manager', version: packageVersion() },
            hooks: gateway.hooks,
          }),
          watchExit: createWatchExit(sessions),
          stop: createStop(sessions),
          drain: fromPromise<void, InstanceRef>(({ input }) => gateway.dispatcher.whenIdle(input.instance)),
        },
      }),
    },
  });
  const root = createActor(machine, {
    input: { servers: config.servers.map(specOf) },
    inspect: (event) => inspection.inspect(event),
  });
  // the root's error observer: a bug in any actor is logged, never fatal to the process
  root.subscribe({ error: (error) => logger.error({ err: errorMessage(error) }, 'supervisor error') });

  // whatever happens to this process, no server outlives it
  const killAll = () => {
    for (const session of sessions.all()) if (session.transport.pid) killGroupSync(session.transport.pid);
  };
  const onUncaught = (error: unknown) => logger.error({ err: errorMessage(error) }, 'uncaught error (kept running)');
  process.on('exit', killAll);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  const known = (name: string) => {
    if (!configs.has(name)) {
      throw new ManagerError('SERVER_NOT_FOUND', `no server named "${name}" (configured: ${[...configs.keys()].join(', ') || 'none'})`, {
        data: { server: name },
      });
    }
  };
  /** Wait (bounded) until every instance of a server has come up or is down. */
  const settle = async (name: string) => {
    const server = configs.get(name)!;
    const timeout = server.startupTimeoutMs + server.stopGraceMs + server.stopTimeoutMs + 10_000;
    const children = root.getSnapshot().children as Record<string, AnyActorRef | undefined>;
    await Promise.all(
      instanceSnapshots(root, name).map(({ id }) =>
        waitFor(children[id]!, (s) => SETTLED.has(publicState(s as ServerSnapshot)), { timeout }).catch(() => undefined),
      ),
    );
  };

  let stopping: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('stopping all servers (reverse start order)');
      root.send({ type: 'manager.shutdown' });
      try {
        await waitFor(root, (s) => s.status === 'done', { timeout: config.manager.shutdownTimeoutMs });
      } catch {
        logger.error({ timeoutMs: config.manager.shutdownTimeoutMs }, 'shutdown timed out; killing what is left');
      }
      killAll();
      root.stop();
      await Promise.allSettled([control.close(), http?.close(), gateway.close(), watcher.close(), monitor.close()]);
      router.stop();
      process.off('exit', killAll);
      process.off('SIGHUP', onHangup);
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
      releaseLock();
      logger.info('stopped');
      resolveClosed();
    })());

  const reload = createReloader(
    config.file,
    options.env,
    {
      current: () => current,
      apply: (next, diff) => {
        current = next;
        configs.clear();
        for (const server of next.servers) configs.set(server.name, server);
        for (const name of [...diff.added, ...diff.changed]) router.send({ type: 'route.policy', server: name, policy: policyOf(configs.get(name)!) });
        for (const name of diff.removed) {
          gateway.refreshServer(name, undefined);
          router.send({ type: 'route.server.removed', server: name });
        }
        // prefix or cache changes show at once; new instances refresh the catalog when ready
        for (const name of diff.changed) {
          const live = instanceSnapshots(root, name).map(({ id }) => sessions.get(id)).find((s) => s !== undefined);
          if (live) gateway.refreshServer(name, live);
        }
        root.send({ type: 'config.changed', servers: next.servers.map(specOf), replaced: diff.replaced });
      },
    },
    logger,
  );
  const onHangup = () => void reload();
  process.on('SIGHUP', onHangup);
  // every edit of the config file is a reload (debounced, atomic saves included)
  const watcher = watchConfig([config.file], () => void reload(), {
    onError: (error) => logger.warn({ err: error.message, file: config.file }, 'config watcher problem'),
  });

  const handlers: ControlHandlers = {
    reload: () => reload(),
    capabilities: (server) => {
      if (server !== undefined) known(server);
      const names = server === undefined ? current.servers.map((s) => s.name) : [server];
      return {
        servers: names.map((name) => {
          const status = serverStatuses(root, { ...current, servers: [configs.get(name)!] }, sessions, false)[0]!;
          const live = instanceSnapshots(root, name).map(({ id }) => sessions.get(id)).find((s) => s !== undefined);
          return capabilitiesOf(gateway, name, status.state, live);
        }),
      };
    },
    callTool: (server, tool, args) => callServerTool(gateway, server, tool, args),
    health: (server) => {
      if (server !== undefined) known(server);
      const wanted = server === undefined ? current : { ...current, servers: [configs.get(server)!] };
      return { servers: serverStatuses(root, wanted, sessions, false).map((status) => healthEntry(status, monitor.snapshot(status.name))) };
    },
    status: ({ detailed }): StatusSnapshot => ({
      manager: {
        pid: process.pid,
        version: packageVersion(),
        configFile: config.file,
        stateDir,
        startedAt: new Date(startedAt).toISOString(),
        uptimeMs: Date.now() - startedAt,
      },
      servers: serverStatuses(root, current, sessions, detailed),
    }),
    startServer: async (name) => {
      known(name);
      root.send({ type: 'server.start', name });
      await settle(name);
    },
    stopServer: async (name) => {
      known(name);
      root.send({ type: 'server.stop', name });
      await settle(name);
    },
    restartServer: async (name) => {
      known(name);
      root.send({ type: 'server.restart', name });
      await settle(name);
    },
    shutdown: () => {
      void stop();
    },
  };

  const socketPath = socketPathOf(stateDir);
  const control = await startControlServer({ socketPath, handlers, logger });
  let http: GatewayHttp | undefined;
  try {
    root.start();
    const listen = options.http ?? config.manager.http;
    if (listen) {
      // loaded only when the gateway listens: start-up pays for what it uses
      const { startGatewayHttp } = await import('../gateway/http/listener.js');
      http = await startGatewayHttp({
        host: listen.host,
        port: listen.port,
        connectSession: async (transport) => {
          await gateway.connect(transport);
        },
        readiness: () => {
          const { instances } = router.getSnapshot().context;
          const routable = Object.entries(instances).filter(([, r]) => r.routable).map(([id]) => id);
          return { ready: routable.length > 0, detail: { routable } };
        },
        ...(options.env.MCP_MANAGER_TOKEN ? { bearerToken: options.env.MCP_MANAGER_TOKEN } : {}),
        logger: logger.child({ component: 'http' }),
      });
      logger.info({ url: http.url }, 'gateway listening');
    }
    if (options.stdio) {
      // one client on our stdin/stdout; when it goes away, so does the manager
      const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
      const transport = new StdioServerTransport();
      const client = await gateway.connect(transport);
      const closeClient = client.server.onclose;
      client.server.onclose = () => {
        closeClient?.();
        void stop();
      };
      process.stdin.once('end', () => void stop());
    }
  } catch (error) {
    await stop();
    throw error;
  }
  await watcher.ready;
  logger.info({ config: config.file, stateDir, servers: config.servers.length }, 'mcp-manager started');

  return { stateDir, socketPath, gatewayUrl: http?.url, closed, stop };
}
