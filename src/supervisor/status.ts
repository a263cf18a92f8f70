/**
 * Read-only views of the running tree for the control API: plain snapshots, no refs.
 */
import { publicState, type PublicServerState } from '../../machines/index.js';
import type { ServerSnapshot } from '../../machines/server.machine.js';
import type { SupervisorActor } from '../../machines/supervisor.machine.js';
import type { Config, ServerConfig } from '../config/types.js';
import { redact, redactArgs } from '../redact.js';
import type { InstanceStatus, ServerStatus } from '../control/types.js';
import type { SessionRegistry } from '../server-actor/session.js';

/** Better states first: what a server with replicas reports as a whole. */
const RANK: PublicServerState[] = [
  'healthy',
  'degraded',
  'unhealthy',
  'critical',
  'starting',
  'restarting',
  'stopping',
  'stopped',
  'failed',
];

export function instanceSnapshots(root: SupervisorActor, server: string): { id: string; snapshot: ServerSnapshot }[] {
  const { instances, pool } = root.getSnapshot().context;
  return (instances[server] ?? []).flatMap((id) => {
    const ref = pool.get(id);
    return ref ? [{ id, snapshot: ref.getSnapshot() }] : [];
  });
}

export function serverStatuses(
  root: SupervisorActor,
  config: Config,
  sessions: SessionRegistry,
  detailed: boolean,
  now = Date.now(),
): ServerStatus[] {
  return config.servers.map((server) => {
    const instances: InstanceStatus[] = instanceSnapshots(root, server.name).map(({ id, snapshot }) => ({
      name: id,
      state: publicState(snapshot),
      pid: snapshot.context.pid,
      restarts: snapshot.context.restarts,
      transport: server.connectionType,
    }));
    const state = instances.map((i) => i.state).sort((a, b) => RANK.indexOf(a) - RANK.indexOf(b))[0] ?? 'stopped';
    const status: ServerStatus = {
      name: server.name,
      state,
      pid: instances.length === 1 ? instances[0]!.pid : null,
      restarts: instances.reduce((sum, i) => sum + i.restarts, 0),
      transport: server.connectionType,
      tags: server.tags,
      enabled: server.enabled,
      ...(server.description === undefined ? {} : { description: server.description }),
    };
    if (server.replicas > 1) status.instances = instances;
    const replaceFailure = root.getSnapshot().context.replaceFailures[server.name];
    if (replaceFailure) status.error = `config change not applied (the previous instance keeps serving): ${replaceFailure}`;
    if (detailed) {
      Object.assign(status, shownCommand(server), details(root, server.name, sessions, now), replaceFailure ? { error: status.error } : {});
    }
    return status;
  });
}

/** The command line a stdio server runs, as `status --detailed` shows it: arguments redacted. */
export function shownCommand(server: ServerConfig): Pick<ServerStatus, 'command' | 'args'> {
  if (server.command === undefined) return {};
  return { command: redact(server.command), args: redactArgs(server.args) };
}

function details(root: SupervisorActor, server: string, sessions: SessionRegistry, now: number): Partial<ServerStatus> {
  const first = instanceSnapshots(root, server)[0];
  if (!first) return {};
  const ctx = first.snapshot.context;
  const session = sessions.get(first.id);
  const failure = ctx.lastError;
  const running = first.snapshot.hasTag('running');
  return {
    uptimeMs: running && ctx.startedAt !== null ? now - ctx.startedAt : null,
    tools: ctx.tools,
    lastExit: ctx.lastExit
      ? {
          exitCode: ctx.lastExit.exitCode,
          signal: ctx.lastExit.signal,
          ...(ctx.lastExit.at === null ? {} : { at: new Date(ctx.lastExit.at).toISOString() }),
        }
      : null,
    error: failure ? `${failure.code}: ${failure.message}` : null,
    stderrTail: failure?.stderrTail.length ? failure.stderrTail : (session?.transport.stderrTail().slice(-10) ?? []),
    nextRestartInMs: publicState(first.snapshot) === 'restarting' ? ctx.nextRestartDelayMs : null,
  };
}
