/**
 * The composition root: the one place that builds every part of a running manager and
 * hands each what it needs. Read top to bottom, `compose` is the picture of DESIGN §1:
 *
 *   config → logger → state dir → router → gateway → health monitor → supervisor
 *          → transition feed (routing, health, catalog follow it) → reload → control API
 *          → listeners (HTTP, stdio)
 */
import { randomInt } from 'node:crypto';
import { createActor, fromPromise, waitFor } from 'xstate';
import { routerMachine, type RouterActor } from '../../machines/router.machine.js';
import { serverMachine, type InstanceRef } from '../../machines/server.machine.js';
import { supervisorMachine, type SupervisorActor } from '../../machines/supervisor.machine.js';
import { packageRoot, packageVersion } from '../package-info.js';
import { loadConfig } from '../config/read-isolated.js';
import type { Config, ServerConfig } from '../config/types.js';
import { startControlServer } from '../control/server.js';
import { errorMessage, formatConfigIssue } from '../errors.js';
import { Gateway, policyOf } from '../gateway/gateway.js';
import { assertBindAllowed } from '../gateway/http/exposure.js';
import type { GatewayHttp } from '../gateway/http/listener.js';
import { watchConfig } from '../discovery/watch.js';
import { startHealthMonitor, type HealthMonitor } from '../health/monitor.js';
import { createLogger, createManagerLogger, type Logger } from '../logger.js';
import { ERA_TOPIC } from '../server-actor/era.js';
import { createLaunch } from '../server-actor/launch.js';
import { SessionRegistry } from '../server-actor/session.js';
import { createStop } from '../server-actor/stop.js';
import { createWatchExit } from '../server-actor/watch-exit.js';
import { acquireLock } from '../state/lock.js';
import { ensureStateDir, logFileOf, managerLogOf, resolveStateDir, socketPathOf } from '../state/paths.js';
import { createStopInOrder, serverOfInstance } from '../../machines/supervisor.machine.js';
import { openPersistence, type Persistence } from './persistence.js';
import type { Metrics } from '../metrics/metrics.js';
import { metricsRoute } from '../metrics/route.js';
import { buildMetrics } from '../metrics/wire.js';
import { killGroupSync } from '../transports/process-group.js';
import { createControlHandlers } from './control-handlers.js';
import { createFeed } from './feed.js';
import { followTransitions } from './follow.js';
import { listenHttp, listenStdio } from './listeners.js';
import { inspectDetail, inspectOverview } from './inspect-view.js';
import { createReloader } from './reload.js';
import { specOf } from './spec.js';
import { instanceSnapshots } from './status.js';
import type { RunningManager, StartOptions } from './types.js';
import { createUiRoutes, type UiRoutes } from '../ui/routes.js';
import type { StatelyInspector } from './stately-inspector.js';

type Options = StartOptions & { env: NodeJS.ProcessEnv };

export async function startManager(options: StartOptions = {}): Promise<RunningManager> {
  const env = options.env ?? process.env;
  const { config } = await readStartConfig(options, env);
  const stateDir = options.stateDir ?? config.manager.stateDir ?? resolveStateDir({ env });
  ensureStateDir(stateDir);
  const lock = await acquireLock(stateDir);
  // the manager's own log: logs/manager.log (rotated) and stderr, unless the host brought a logger
  const managerLog = options.logger
    ? undefined
    : createManagerLogger({
        level: config.manager.logLevel,
        file: managerLogOf(stateDir),
        rotation: { maxSizeBytes: config.manager.logMaxSizeBytes, keep: config.manager.logKeep },
        stderr: options.logToStderr ?? true,
      });
  const logger = options.logger ?? managerLog!.logger;
  const closeLog = () => managerLog?.close() ?? Promise.resolve();
  try {
    // before anything is spawned: the sweep of a crashed predecessor's servers, the desired state
    const persistence = await openPersistence({ stateDir, config, logger, takenOver: lock.takenOver });
    return await compose(config, stateDir, logger, () => lock.release(), { ...options, env }, persistence, closeLog);
  } catch (error) {
    lock.release();
    await closeLog();
    throw error;
  }
}

/** Step 1: the config file (its warnings on stderr: the manager's log opens once the state dir is ours). */
async function readStartConfig(options: StartOptions, env: NodeJS.ProcessEnv): Promise<{ config: Config }> {
  const configFile = options.configFile ?? env.MCP_MANAGER_CONFIG ?? `${packageRoot()}/config/default.yaml`;
  const bootLogger = options.logger ?? createLogger();
  const config = await loadConfig(configFile, {
    env,
    onWarning: (w) => bootLogger.warn({ file: w.file }, formatConfigIssue(w)),
  });
  // a gateway beyond loopback without a token is refused before anything starts
  const listen = options.http ?? config.manager.http;
  if (listen) assertBindAllowed(listen.host, env.MCP_MANAGER_TOKEN);
  return { config };
}

/** The config running now; reload swaps it. */
interface LiveConfig {
  current: () => Config;
  configOf: (name: string) => ServerConfig | undefined;
  replace: (next: Config) => void;
}

function liveConfig(initial: Config): LiveConfig {
  let current = initial;
  const byName = new Map(initial.servers.map((s) => [s.name, s]));
  return {
    current: () => current,
    configOf: (name) => byName.get(name),
    replace: (next) => {
      current = next;
      byName.clear();
      for (const server of next.servers) byName.set(server.name, server);
    },
  };
}

async function compose(
  config: Config,
  stateDir: string,
  logger: Logger,
  releaseLock: () => void,
  options: Options,
  persistence: Persistence,
  closeLog: () => Promise<void>,
): Promise<RunningManager> {
  const startedAtMs = Date.now();
  const live = liveConfig(config);
  const sessions = new SessionRegistry();
  const router = startRouter(config);
  const gateway = buildGateway(live, router, sessions, logger);
  // the monitor reports to the supervisor, which is built next (and started last)
  const monitor = buildMonitor(
    live,
    sessions,
    (event) => root.send(event),
    logger,
    (server, ms) => metrics?.observePing(server, ms / 1000),
  );
  // `start --inspect`: the actors, live in Stately's inspector (loaded only when asked for)
  const stately = options.inspect ? await connectStately(options.inspect.url, logger) : undefined;
  const root = buildSupervisor(config, live, sessions, gateway, stateDir, logger, persistence, stately);
  const feed = createFeed(root);
  // restarts and exits go into the state file's history
  const unrecord = feed.on((transition) => persistence.observe(transition));
  const unfollow = followTransitions({ feed, root, router, monitor, gateway, sessions, logger });
  // Prometheus metrics, when the HTTP listener can serve them and the config has not turned them off
  const listen = options.http ?? config.manager.http;
  const metrics: Metrics | undefined =
    listen && config.manager.metrics
      ? buildMetrics({
          feed,
          gateway,
          monitor,
          servers: () => live.current().servers.map((s) => s.name),
          sessionEvictions: () => http?.evictions() ?? 0,
        })
      : undefined;

  // whatever happens to this process, no server outlives it
  const killAll = () => {
    for (const session of sessions.all()) if (session.transport.pid) killGroupSync(session.transport.pid);
  };
  // an exit without `stop()` also saves what was not saved yet, synchronously
  const onExit = () => {
    killAll();
    persistence.exitSync();
  };
  process.on('exit', onExit);

  let stopping: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let http: GatewayHttp | undefined;
  let ui: UiRoutes | undefined;
  const stop = (reason = 'stop requested') =>
    (stopping ??= (async () => {
      // every exit of the manager says why in its log
      logger.info({ reason }, `stopping (${reason}): all servers, in reverse start order`);
      // from here no request is routed (it is answered that the manager is stopping) and no
      // server is checked: neither has to follow each server through its stop
      router.send({ type: 'route.closing' });
      const monitorClosed = monitor.close();
      root.send({ type: 'manager.shutdown' });
      try {
        await waitFor(root, (s) => s.status === 'done', { timeout: config.manager.shutdownTimeoutMs });
      } catch {
        logger.error({ timeoutMs: config.manager.shutdownTimeoutMs }, 'shutdown timed out; killing what is left');
      }
      killAll();
      ui?.close();
      stately?.stop();
      unfollow();
      unrecord();
      // the state files' last writes (fsync) overlap the rest of the shutdown
      const persisted = persistence.close();
      metrics?.close();
      feed.close();
      root.stop();
      await Promise.allSettled([control.close(), http?.close(), gateway.close(), watcher.close(), monitorClosed]);
      router.stop();
      await persisted;
      process.off('exit', onExit);
      process.off('SIGHUP', onHangup);
      releaseLock();
      logger.info('stopped');
      await closeLog();
      resolveClosed();
    })());

  const reloadConfig = buildReloader(config, live, root, router, gateway, sessions, logger, options.env, metrics, persistence);
  // every edit of the config file or of its env file is a reload (debounced, atomic saves included)
  const watchedFiles = () => {
    const { file, manager } = live.current();
    return manager.envFile === undefined ? [file] : [file, manager.envFile];
  };
  const watcher = watchConfig(watchedFiles(), () => void reload(), {
    onError: (error) => logger.warn({ err: error.message, file: config.file }, 'config watcher problem'),
  });
  const reload: typeof reloadConfig = Object.assign(
    async (request?: { since?: number }) => {
      const report = await reloadConfig(request);
      // the config may name another env file now
      await watcher.setFiles(watchedFiles());
      return report;
    },
    { generation: () => reloadConfig.generation() },
  );
  const onHangup = () => void reload();
  process.on('SIGHUP', onHangup);

  const socketPath = socketPathOf(stateDir);
  const commands = createControlHandlers({
    root,
    gateway,
    monitor,
    sessions,
    current: live.current,
    configOf: live.configOf,
    reload,
    shutdown: () => void stop('shutdown requested over the control socket'),
    http: () => http,
    persistence,
    feed,
    manager: {
      pid: process.pid,
      version: packageVersion(),
      configFile: config.file,
      stateDir,
      startedAt: new Date(startedAtMs).toISOString(),
      startedAtMs,
    },
  });
  const handlers = {
    ...commands,
    inspect: (name: string | undefined) => (name === undefined ? inspectOverview(feed) : inspectDetail(feed, live.current(), name)),
  };
  const control = await startControlServer({ socketPath, handlers, logger });
  try {
    root.start();
    // the live view (/ui) on the gateway's listener, acting through the control handlers
    if (listen) ui = createUiRoutes({ feed, configured: () => configuredServers(live.current()), actions: handlers, logger });
    const routes = [...(metrics ? [metricsRoute(metrics)] : []), ...(ui ? [ui.handle] : [])];
    const parts = { gateway, router, logger, env: options.env, config, stop, routes };
    if (listen) http = await listenHttp(listen, parts);
    if (options.stdio) await listenStdio(parts);
  } catch (error) {
    await stop(`start-up failed: ${errorMessage(error)}`);
    throw error;
  }
  await watcher.ready;
  logger.info({ config: config.file, stateDir, servers: config.servers.length }, 'mcp-manager started');

  return { stateDir, socketPath, gatewayUrl: http?.url, closed, stop, feed };
}

/** The routing table: which instance may take a call, by each server's policy. */
function startRouter(config: Config): RouterActor {
  const router = createActor(routerMachine).start();
  for (const server of config.servers) router.send({ type: 'route.policy', server: server.name, policy: policyOf(server) });
  return router;
}

function buildGateway(live: LiveConfig, router: RouterActor, sessions: SessionRegistry, logger: Logger): Gateway {
  return new Gateway({
    router,
    sessions,
    configOf: live.configOf,
    logger: logger.child({ component: 'gateway' }),
    serverInfo: { name: 'mcp-manager', version: packageVersion() },
  });
}

/** Health checks run while an instance runs; results go back to it as events. */
function buildMonitor(
  live: LiveConfig,
  sessions: SessionRegistry,
  send: Parameters<typeof startHealthMonitor>[0]['send'],
  logger: Logger,
  onPing: (server: string, latencyMs: number) => void,
): HealthMonitor {
  return startHealthMonitor({
    onPing,
    sessions,
    configOf: live.configOf,
    send,
    overridesOf: (name) => live.configOf(name)?.health,
    logger: logger.child({ component: 'health' }),
  });
}

/** The root supervisor with the real launch, exit watch, stop ladder and drain. */
function buildSupervisor(
  config: Config,
  live: LiveConfig,
  sessions: SessionRegistry,
  gateway: Gateway,
  stateDir: string,
  logger: Logger,
  persistence: Persistence,
  stately?: StatelyInspector,
): SupervisorActor {
  const machine = supervisorMachine.provide({
    actors: {
      server: serverMachine.provide({
        actors: {
          launch: createLaunch({
            sessions,
            configOf: live.configOf,
            logFileOf: (instance) => logFileOf(stateDir, serverOfInstance(instance)),
            // one rotated file per server, each line tagged with its instance
            stderrSinkOf: (instance) => persistence.serverLogs.sinkFor(serverOfInstance(instance), instance),
            children: persistence.children,
            logger,
            clientInfo: { name: 'mcp-manager', version: packageVersion() },
            hooks: gateway.hooks,
            // protocol-era verdicts live with the other upstream facts in state.json
            eras: {
              get: (server) => persistence.store.upstream(server, ERA_TOPIC),
              set: (server, verdict) => persistence.store.setUpstream(server, ERA_TOPIC, verdict),
            },
          }),
          watchExit: createWatchExit(sessions),
          stop: createStop(sessions),
          drain: fromPromise<void, InstanceRef>(({ input }) => gateway.dispatcher.whenIdle(input.instance)),
        },
      }),
      // shutdown: a level's inputs all end before its charts run, so its processes exit together
      stopAll: createStopInOrder({ beforeStop: (instance) => sessions.get(instance)?.transport.endInput?.() }),
    },
  });
  // the backoff jitter's randomness comes from here; the charts stay pure
  const root = createActor(machine, {
    input: { servers: config.servers.map(specOf), seed: randomInt(2 ** 31), overrides: persistence.overrides() },
    ...(stately ? { inspect: (event) => stately.inspect(event) } : {}),
  });
  // the root's error observer: a bug in any actor is logged, never fatal to the process
  root.subscribe({ error: (error) => logger.error({ err: errorMessage(error) }, 'supervisor error') });
  return root;
}

/** Reload: a valid new config replaces only what changed; an invalid one is refused. */
function buildReloader(
  config: Config,
  live: LiveConfig,
  root: SupervisorActor,
  router: RouterActor,
  gateway: Gateway,
  sessions: SessionRegistry,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  metrics: Metrics | undefined,
  persistence: Persistence,
) {
  return createReloader(
    config.file,
    env,
    {
      current: live.current,
      apply: (next, diff) => {
        live.replace(next);
        persistence.retain(next);
        for (const name of [...diff.added, ...diff.changed])
          router.send({ type: 'route.policy', server: name, policy: policyOf(live.configOf(name)!) });
        for (const name of diff.removed) {
          gateway.refreshServer(name, undefined);
          router.send({ type: 'route.server.removed', server: name });
        }
        // prefix or cache changes show at once; new instances refresh the catalog when ready
        for (const name of diff.changed) {
          const session = instanceSnapshots(root, name)
            .map(({ id }) => sessions.get(id))
            .find((s) => s !== undefined);
          if (session) gateway.refreshServer(name, session);
        }
        root.send({ type: 'config.changed', servers: next.servers.map(specOf), replaced: diff.replaced });
      },
    },
    logger,
    {},
    (report) =>
      metrics?.countReload(
        !report.ok ? 'rejected' : report.added.length + report.removed.length + report.changed.length > 0 ? 'applied' : 'unchanged',
      ),
  );
}

/** What the live view lists: every configured server, in config order. */
function configuredServers(config: Config) {
  return config.servers.map((s) => ({ name: s.name, transport: s.connectionType, enabled: s.enabled, replicas: s.replicas }));
}

async function connectStately(url: string, logger: Logger): Promise<StatelyInspector> {
  const { connectStatelyInspector } = await import('./stately-inspector.js');
  return connectStatelyInspector(url, logger);
}
