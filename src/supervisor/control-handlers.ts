/**
 * What the control API (and every view that acts, like `/ui`) can ask of the running
 * manager: reads are snapshots, commands are events to the supervisor.
 */
import { waitFor } from 'xstate';
import { publicState } from '../../machines/index.js';
import type { SupervisorActor } from '../../machines/supervisor.machine.js';
import type { Config, ServerConfig } from '../config/types.js';
import type { ControlHandlers, DesiredState, ReloadReport, StatusSnapshot } from '../control/types.js';
import { ManagerError } from '../errors.js';
import { MAX_MESSAGE_DEPTH, excessiveNesting, nestingMessage } from '../gateway/depth.js';
import type { Gateway } from '../gateway/gateway.js';
import type { GatewayHttp } from '../gateway/http/listener.js';
import { capabilitiesOf } from '../gateway/inspect.js';
import { callServerTool } from '../gateway/handlers.js';
import type { HealthMonitor } from '../health/monitor.js';
import { droppedLogLines } from '../logger.js';
import type { SessionRegistry } from '../server-actor/session.js';
import { eventHandlers } from './control-events.js';
import type { Feed } from './feed.js';
import { healthEntry } from './health-view.js';
import type { Persistence } from './persistence.js';
import { instanceSnapshots, serverStatuses } from './status.js';

/** States a command waits for: the server has come up, or is definitely down. */
const SETTLED = new Set(['healthy', 'degraded', 'unhealthy', 'critical', 'stopped', 'failed']);

export interface ControlParts {
  root: SupervisorActor;
  gateway: Gateway;
  monitor: HealthMonitor;
  sessions: SessionRegistry;
  /** The config running now (it changes on reload). */
  current: () => Config;
  configOf: (name: string) => ServerConfig | undefined;
  reload: ((request?: { since?: number }) => Promise<ReloadReport>) & { generation(): number };
  shutdown: () => void;
  /** The gateway's HTTP listener, once it listens. */
  http: () => GatewayHttp | undefined;
  /** The state dir's files: operators' decisions are recorded there, warnings shown in status. */
  persistence?: Pick<Persistence, 'notices' | 'syncOverride' | 'store'>;
  manager: Omit<StatusSnapshot['manager'], 'uptimeMs'> & { startedAtMs: number };
  /** The transition feed: the control event stream follows it. */
  feed?: Feed;
}

export function createControlHandlers(parts: ControlParts): ControlHandlers {
  const { root, gateway, monitor, sessions, current, configOf } = parts;
  const known = (name: string) => {
    if (!configOf(name)) {
      const names = current().servers.map((s) => s.name);
      throw new ManagerError('SERVER_NOT_FOUND', `no server named "${name}" (configured: ${names.join(', ') || 'none'})`, {
        data: { server: name },
      });
    }
  };
  /** Wait (bounded) until every instance of a server has come up or is down. */
  const settle = async (name: string) => {
    const server = configOf(name)!;
    const timeout = server.startupTimeoutMs + server.stopGraceMs + server.stopTimeoutMs + 10_000;
    const { pool } = root.getSnapshot().context;
    await Promise.all(
      instanceSnapshots(root, name).map(({ id }) =>
        waitFor(pool.get(id)!, (s) => SETTLED.has(publicState(s)), { timeout }).catch(() => undefined),
      ),
    );
  };
  const only = (name: string | undefined): Config => (name === undefined ? current() : { ...current(), servers: [configOf(name)!] });
  /** An operator's command: an event to the supervisor; the decision it leaves goes to the state file. */
  const command = (type: 'server.start' | 'server.stop' | 'server.restart') => async (name: string) => {
    known(name);
    root.send({ type, name });
    parts.persistence?.syncOverride(name, root.getSnapshot().context.overrides[name]);
    await settle(name);
  };
  /** `status --detailed`: what a server should be doing, and whether the config or an operator said so. */
  const desiredOf = (name: string): DesiredState => {
    const override = parts.persistence?.store.overrideOf(name);
    if (override) return { state: override.state, source: 'operator', at: override.at, via: override.via };
    return { state: configOf(name)?.enabled === false ? 'stopped' : 'running', source: 'config' };
  };

  return {
    reload: (request) => parts.reload(request),
    capabilities: (server) => {
      if (server !== undefined) known(server);
      return {
        servers: only(server).servers.map(({ name }) => {
          const status = serverStatuses(root, only(name), sessions, false)[0]!;
          const live = instanceSnapshots(root, name)
            .map(({ id }) => sessions.get(id))
            .find((s) => s !== undefined);
          return capabilitiesOf(gateway, name, status.state, live);
        }),
      };
    },
    callTool: (server, tool, args) => {
      const where = excessiveNesting(args, MAX_MESSAGE_DEPTH - 3);
      if (where !== null)
        throw new ManagerError('USAGE', nestingMessage(`--args${where.startsWith('[') ? '' : '.'}${where}`, MAX_MESSAGE_DEPTH - 3));
      return callServerTool(gateway, server, tool, args);
    },
    health: (server) => {
      if (server !== undefined) known(server);
      return {
        servers: serverStatuses(root, only(server), sessions, false).map((status) => healthEntry(status, monitor.snapshot(status.name))),
      };
    },
    status: ({ detailed }): StatusSnapshot => {
      const { startedAtMs, ...manager } = parts.manager;
      const http = parts.http();
      const maxSessions = current().manager.httpSessions;
      return {
        manager: {
          ...manager,
          uptimeMs: Date.now() - startedAtMs,
          ...(http ? { http: { url: http.url, sessions: http.sessionCount(), maxSessions, evictions: http.evictions() } } : {}),
          droppedLogLines: droppedLogLines(),
          configGeneration: parts.reload.generation(),
          ...(parts.persistence?.notices.length ? { notices: [...parts.persistence.notices] } : {}),
        },
        servers: serverStatuses(root, current(), sessions, detailed).map((status) =>
          detailed ? { ...status, desired: desiredOf(status.name) } : status,
        ),
      };
    },
    startServer: command('server.start'),
    stopServer: command('server.stop'),
    restartServer: command('server.restart'),
    shutdown: () => parts.shutdown(),
    ...(parts.feed ? eventHandlers({ feed: parts.feed, monitor, gateway }) : {}),
  };
}
