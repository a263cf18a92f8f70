/**
 * What `inspect` shows, built from the transition feed and the live actors: the
 * supervisor's state, each instance's state and context, its recent transitions, and the
 * server machine's chart read from its definition.
 */
import { publicState } from '../../machines/index.js';
import { restartDelayMs } from '../../machines/policies.js';
import { serverMachine, type ServerSnapshot } from '../../machines/server.machine.js';
import { serverOfInstance, supervisorMachine } from '../../machines/supervisor.machine.js';
import type { StateValue } from 'xstate';
import type { Config } from '../config/types.js';
import type { InspectDetail, InspectInstance, InspectInstanceSummary, InspectOverview } from '../control/inspect-types.js';
import { ManagerError } from '../errors.js';
import { activeStateIds, chartOf, type Chart } from '../statechart/chart.js';
import type { Feed } from './feed.js';

let serverChart: Chart | undefined;

function supervisorOf(feed: Feed): InspectOverview['supervisor'] {
  const value = feed.supervisorState();
  return { value, active: activeStateIds(supervisorMachine, value as StateValue) };
}

function summaryOf(instance: string, snapshot: ServerSnapshot): InspectInstanceSummary {
  return {
    instance,
    server: serverOfInstance(instance),
    state: snapshot.status === 'done' ? 'removed' : publicState(snapshot),
    value: snapshot.value,
    pid: snapshot.context.pid,
    restarts: snapshot.context.restarts,
  };
}

export function inspectOverview(feed: Feed): InspectOverview {
  const instances = feed.instances().flatMap((instance) => {
    const snapshot = feed.snapshotOf(instance);
    return snapshot ? [summaryOf(instance, snapshot)] : [];
  });
  return { supervisor: supervisorOf(feed), instances };
}

export function inspectDetail(feed: Feed, config: Config, name: string, now = Date.now()): InspectDetail {
  const live = feed.instances();
  const ids = live.includes(name) ? [name] : live.filter((instance) => serverOfInstance(instance) === name);
  const known = config.servers.some((s) => s.name === name) || ids.length > 0 || feed.history(name).length > 0;
  if (!known) {
    throw new ManagerError(
      'SERVER_NOT_FOUND',
      `no server or instance named "${name}" (servers: ${config.servers.map((s) => s.name).join(', ') || 'none'})`,
      { data: { server: name } },
    );
  }
  const instances = ids.flatMap((instance): InspectInstance[] => {
    const snapshot = feed.snapshotOf(instance);
    if (!snapshot) return [];
    const ctx = snapshot.context;
    const spec = ctx.spec;
    const server = config.servers.find((s) => s.name === serverOfInstance(instance));
    const restarting = publicState(snapshot) === 'restarting';
    // the next restart's delay before jitter (0.5 spreads by nothing)
    const baseBackoff = restartDelayMs(ctx.restartAttempt, spec.backoff, 0.5);
    return [
      {
        ...summaryOf(instance, snapshot),
        active: activeStateIds(serverMachine, snapshot.value),
        context: {
          pid: ctx.pid,
          restarts: ctx.restarts,
          restartsInWindow: ctx.recentRestarts,
          nextBackoffMs: restarting && ctx.nextRestartDelayMs !== null ? ctx.nextRestartDelayMs : baseBackoff,
          lastExit: ctx.lastExit,
          lastError: ctx.lastError
            ? { code: ctx.lastError.code, message: ctx.lastError.message, stderrTail: ctx.lastError.stderrTail }
            : null,
          health: {
            good: ctx.streaks.good,
            bad: ctx.streaks.bad,
            downAfter: spec.health.downAfter,
            upAfter: spec.health.upAfter,
          },
          uptimeMs: snapshot.hasTag('running') && ctx.startedAt !== null ? now - ctx.startedAt : null,
          tools: ctx.tools.length,
          limits: {
            startupTimeoutMs: spec.startupTimeoutMs,
            maxRestarts: spec.maxRestarts,
            restartWindowMs: spec.restartWindowMs,
            restart: spec.restart,
            backoff: { ...spec.backoff },
            maxMemoryBytes: server?.maxMemoryBytes ?? null,
            maxCpuPercent: server?.maxCpuPercent ?? null,
          },
        },
        history: [...feed.history(instance)],
      },
    ];
  });
  serverChart ??= chartOf(serverMachine);
  return { supervisor: supervisorOf(feed), name, chart: serverChart, instances };
}
