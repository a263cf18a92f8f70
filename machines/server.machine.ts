/**
 * One server instance as a statechart (DESIGN §3).
 *
 *   stopped ─start─► starting ─ready─► running{healthy ⇄ degraded ⇄ unhealthy ⇄ critical}
 *                       │ fail              │ exit / critical grace
 *                       ▼                   ▼
 *                    stopping ◄─────────────┘   (every way down passes the stop ladder)
 *                       │ done
 *           ┌───────────┼─────────────┬────────────┐
 *           ▼           ▼             ▼            ▼
 *       restarting    stopped       failed      removed (final)
 *           │ backoff
 *           ▼
 *        starting
 *
 * The launch, exit watch and stop are actor stubs here; `src/server-actor/` provides the
 * real ones, tests provide fakes. Every wait is a named delay.
 */
import { and, assign, fromCallback, fromPromise, raise, sendTo, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import type { Failure, LaunchResult, ServerEvent, ServerSpec } from './events.js';
import {
  intensityExceeded,
  isAbnormalExit,
  nextRandom,
  nextStreaks,
  restartAllowed,
  restartDelayMs,
  seedFor,
  type Streaks,
} from './policies.js';

export interface ServerInput {
  /** Unique id of this instance, e.g. `memory#1`. */
  instance: string;
  spec: ServerSpec;
  /** Start right away (an enabled server) or wait in `stopped`. */
  autoStart: boolean;
  /** Seed of the backoff jitter; without one, derived from the instance id. */
  seed?: number;
}

/** Where the stop ladder leads once the process group is gone. */
export type AfterStop = 'stopped' | 'restarting' | 'starting' | 'failed' | 'removed';

export interface ServerContext {
  instance: string;
  spec: ServerSpec;
  autoStart: boolean;
  pid: number | null;
  tools: string[];
  startedAt: number | null;
  /** Restarts over the actor's life (manual ones excluded). */
  restarts: number;
  /** Restarts still inside the intensity window. */
  recentRestarts: number;
  /** Backoff exponent; reset after stable uptime. */
  restartAttempt: number;
  nextRestartDelayMs: number | null;
  /** State of the seeded jitter generator (`nextRandom`). */
  rng: number;
  /** `at`: ms since epoch, null when the report carried no time. */
  lastExit: { exitCode: number | null; signal: string | null; at: number | null } | null;
  lastError: Failure | null;
  afterStop: AfterStop;
  streaks: Streaks;
  /** Failed starts since the last successful initialize: a budget of its own that never decays. */
  failedStarts: number;
  /** What brought the instance into its current state: the event and its reason, as data. */
  cause: Cause;
}

/** The event behind a state change, for timelines and logs. */
export interface Cause {
  /** Event type; delayed transitions read `xstate.after.<delay name>`. */
  event: string;
  /** What the event itself says (exit code, probe verdict, limit), if anything. */
  reason: string | null;
}

export interface InstanceRef {
  instance: string;
}

/** Read any thrown value or exit event as a plain Failure. */
export function toFailure(error: unknown): Failure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const data = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Record<string, unknown>;
  const pick = <T>(key: string, guard: (v: unknown) => v is T, fallback: T): T => {
    if (guard(e[key])) return e[key];
    if (guard(data[key])) return data[key];
    return fallback;
  };
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isCode = (v: unknown): v is number | null => typeof v === 'number' || v === null;
  const isLines = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
  return {
    code: pick('code', isString, 'INTERNAL'),
    message: error instanceof Error ? error.message : pick('message', isString, String(error)),
    exitCode: pick('exitCode', isCode, null),
    signal: pick('signal', (v): v is string | null => typeof v === 'string' || v === null, null),
    stderrTail: pick('stderrTail', isLines, []),
    ...(typeof e.at === 'number' ? { at: e.at } : typeof data.at === 'number' ? { at: data.at } : {}),
  };
}

/**
 * Read the cause of a state change off the event that made it. Pure. A drain or stop
 * ladder finishing (or timing out) is no cause of its own: the state after it keeps the
 * cause that started the way down (`null` here).
 */
export function causeOf(event: { type: string } & Record<string, unknown>): Cause | null {
  const type = event.type;
  if (/\.actor\.(stop|drain)$/.test(type) || /^xstate\.after\.(stopDeadline|drainTimeout)\./.test(type)) return null;
  if (type.startsWith('xstate.after.')) return { event: `xstate.after.${type.split('.')[2] ?? ''}`, reason: null };
  if (type.startsWith('xstate.error.actor.')) {
    const failure = toFailure(event.error);
    return { event: type, reason: `${failure.code}: ${failure.message}` };
  }
  switch (type) {
    case 'server.exited': {
      const signal = typeof event.signal === 'string' ? event.signal : null;
      const code = typeof event.exitCode === 'number' ? event.exitCode : null;
      return { event: type, reason: signal ? `killed by ${signal}` : code !== null ? `exited with code ${code}` : 'connection ended' };
    }
    case 'health.bad':
      return { event: type, reason: typeof event.reason === 'string' ? event.reason : null };
    case 'health.restart':
      return { event: type, reason: `${String(event.code)}: ${String(event.reason)}` };
    case 'server.retire':
    case 'server.remove':
      return { event: type, reason: 'config changed' };
    case 'server.start':
    case 'server.stop':
    case 'server.restart':
      return { event: type, reason: 'operator' };
    default:
      return { event: type, reason: null };
  }
}

/** Failures that no restart can mend (the command is not there, not executable). */
const UNRECOVERABLE = new Set(['SPAWN_FAILED', 'INCOMPATIBLE', 'CONFIG_INVALID', 'TRANSPORT_UNSUPPORTED', 'SERVER_NOT_FOUND']);

export const serverMachine = setup({
  types: {
    context: {} as ServerContext,
    events: {} as ServerEvent,
    input: {} as ServerInput,
    tags: {} as 'routable' | 'preferred' | 'running' | 'down' | 'busy',
  },
  actors: {
    /** Spawn or connect, initialize, list the catalog. Rejects with a Failure-like error. */
    launch: fromPromise<LaunchResult, InstanceRef>(() => Promise.reject(new Error('launch not provided'))),
    /** Reports `server.exited` when the running process ends. */
    watchExit: fromCallback<ServerEvent, InstanceRef>(() => undefined),
    /** The stop ladder on the whole process group; resolves when nothing is left. */
    stop: fromPromise<void, InstanceRef>(() => Promise.resolve()),
    /** Resolves when the instance has no calls in flight. */
    drain: fromPromise<void, InstanceRef>(() => Promise.resolve()),
  },
  delays: {
    startupTimeout: ({ context }) => context.spec.startupTimeoutMs,
    restartBackoff: ({ context }) => context.nextRestartDelayMs ?? 0,
    stableUptime: ({ context }) => context.spec.backoff.resetAfterMs,
    restartWindow: ({ context }) => context.spec.restartWindowMs,
    criticalGrace: ({ context }) => context.spec.health.criticalGraceMs,
    drainTimeout: ({ context }) => context.spec.drainTimeoutMs,
    /** Safety net over the stop ladder: stdin grace + SIGTERM wait + SIGKILL settle. */
    stopDeadline: ({ context }) => context.spec.stopGraceMs + context.spec.stopTimeoutMs + 5_000,
  },
  guards: {
    isUnrecoverable: ({ context }) => context.lastError !== null && UNRECOVERABLE.has(context.lastError.code),
    isAutoStart: ({ context }) => context.autoStart && context.spec.enabled,
    isRestartDisallowed: ({ context }) => !restartAllowed(context.spec.restart, !isCleanEnd(context)),
    isCleanExit: ({ context }) => isCleanEnd(context),
    isIntensityExceeded: ({ context }) => intensityExceeded(context.recentRestarts, context.spec.maxRestarts),
    /** More than max_restarts starts failed in a row (slow ones would slide out of the window). */
    isStartBudgetSpent: ({ context }) => context.failedStarts > context.spec.maxRestarts,
    /** This bad result completes the streak that drops one tier. */
    isDropDueAfterThis: ({ context }) => context.streaks.bad + 1 >= context.spec.health.downAfter,
    /** This good result completes the streak that lifts one tier. */
    isRiseDueAfterThis: ({ context }) => context.streaks.good + 1 >= context.spec.health.upAfter,
    isAfterStopRestarting: ({ context }) => context.afterStop === 'restarting',
    isAfterStopStarting: ({ context }) => context.afterStop === 'starting',
    isAfterStopFailed: ({ context }) => context.afterStop === 'failed',
    isAfterStopRemoved: ({ context }) => context.afterStop === 'removed',
  },
  actions: {
    recordLaunch: assign((_, result: LaunchResult) => ({
      pid: result.pid,
      tools: result.tools,
      startedAt: result.startedAt,
      lastError: null,
      streaks: { good: 0, bad: 0 },
      failedStarts: 0,
    })),
    recordFailure: assign((_, failure: Failure) => ({
      lastError: failure,
      lastExit:
        failure.exitCode === null && failure.signal === null
          ? null
          : { exitCode: failure.exitCode, signal: failure.signal, at: failure.at ?? null },
    })),
    recordExit: assign((_, exit: { exitCode: number | null; signal: string | null; stderrTail: string[]; at?: number }) => ({
      lastExit: { exitCode: exit.exitCode, signal: exit.signal, at: exit.at ?? null },
      lastError: isAbnormalExit(exit)
        ? {
            code: 'SERVER_EXITED',
            message: exit.signal
              ? `killed by ${exit.signal}`
              : exit.exitCode !== null
                ? `exited with code ${exit.exitCode}`
                : // a remote connection has no exit code: its last reported error says why
                  (exit.stderrTail.at(-1) ?? 'connection ended'),
            exitCode: exit.exitCode,
            signal: exit.signal,
            stderrTail: exit.stderrTail,
          }
        : null,
    })),
    recordCatalog: assign((_, tools: string[]) => ({ tools })),
    clearProcess: assign({ pid: null }),
    noteCause: assign(({ context, event }) => ({
      cause: causeOf(event as unknown as { type: string } & Record<string, unknown>) ?? context.cause,
    })),
    stopThen: assign((_, afterStop: AfterStop) => ({ afterStop })),
    /** Manual start/restart: a fresh budget. */
    resetBudget: assign({ recentRestarts: 0, restartAttempt: 0, lastError: null, nextRestartDelayMs: null, failedStarts: 0 }),
    countFailedStart: assign(({ context }) => ({ failedStarts: context.failedStarts + 1 })),
    resetBackoff: assign({ restartAttempt: 0 }),
    planRestart: assign(({ context }) => {
      const random = nextRandom(context.rng);
      return {
        restarts: context.restarts + 1,
        recentRestarts: context.recentRestarts + 1,
        restartAttempt: context.restartAttempt + 1,
        nextRestartDelayMs: restartDelayMs(context.restartAttempt, context.spec.backoff, random.value),
        rng: random.state,
      };
    }),
    /** The restart just planned leaves the window after `restartWindow`. */
    scheduleDecay: raise({ type: 'intensity.decay' }, { delay: 'restartWindow' }),
    decay: assign(({ context }) => ({ recentRestarts: Math.max(0, context.recentRestarts - 1) })),
    countGood: assign(({ context }) => ({ streaks: nextStreaks(context.streaks, true) })),
    countBad: assign(({ context }) => ({ streaks: nextStreaks(context.streaks, false) })),
    resetStreaks: assign({ streaks: { good: 0, bad: 0 } }),
    /** Tell the supervisor (if any: a lone actor in a test has none). */
    reportReady: sendTo(
      ({ self }) => self._parent ?? self,
      ({ context }) => ({ type: 'instance.ready', instance: context.instance }),
    ),
    reportFailed: sendTo(
      ({ self }) => self._parent ?? self,
      ({ context }) => ({
        type: 'instance.failed',
        instance: context.instance,
        reason: context.lastError ? `${context.lastError.code}: ${context.lastError.message}` : 'failed',
      }),
    ),
  },
}).createMachine({
  id: 'server',
  context: ({ input }) => ({
    instance: input.instance,
    spec: input.spec,
    autoStart: input.autoStart,
    pid: null,
    tools: [],
    startedAt: null,
    restarts: 0,
    recentRestarts: 0,
    restartAttempt: 0,
    nextRestartDelayMs: null,
    rng: input.seed ?? seedFor(0, input.instance),
    lastExit: null,
    lastError: null,
    afterStop: 'stopped',
    streaks: { good: 0, bad: 0 },
    failedStarts: 0,
    cause: { event: 'xstate.init', reason: null },
  }),
  initial: 'init',
  on: {
    'intensity.decay': { actions: 'decay' },
    'server.remove': { target: '.stopping', actions: { type: 'stopThen', params: 'removed' } },
    'server.retire': { target: '.stopping', actions: { type: 'stopThen', params: 'removed' } },
  },
  states: {
    init: {
      always: [{ guard: 'isAutoStart', target: 'starting' }, { target: 'stopped' }],
    },
    stopped: {
      tags: ['down'],
      entry: 'noteCause',
      on: {
        'server.start': { target: 'starting', actions: 'resetBudget' },
        'server.restart': { target: 'starting', actions: 'resetBudget' },
      },
    },
    starting: {
      entry: 'noteCause',
      invoke: {
        id: 'launch',
        src: 'launch',
        input: ({ context }) => ({ instance: context.instance }),
        onDone: { target: 'running', actions: { type: 'recordLaunch', params: ({ event }) => event.output } },
        onError: {
          target: 'deciding',
          actions: [{ type: 'recordFailure', params: ({ event }) => toFailure(event.error) }, 'countFailedStart'],
        },
      },
      after: {
        startupTimeout: {
          target: 'deciding',
          actions: [
            {
              type: 'recordFailure',
              params: ({ context }) => ({
                code: 'INITIALIZE_TIMEOUT',
                message: `no initialize/tools/list answer within ${context.spec.startupTimeoutMs} ms`,
                exitCode: null,
                signal: null,
                stderrTail: [],
              }),
            },
            'countFailedStart',
          ],
        },
      },
      on: {
        'server.stop': { target: 'stopping', actions: { type: 'stopThen', params: 'stopped' } },
        'server.restart': { target: 'stopping', actions: [{ type: 'stopThen', params: 'starting' }, 'resetBudget'] },
      },
    },
    /**
     * Transient: the process ended or failed to come up. Decide where that leads (OTP
     * restart types, intensity), then stop what is left of the process group.
     */
    deciding: {
      always: [
        { guard: 'isUnrecoverable', target: 'stopping', actions: { type: 'stopThen', params: 'failed' } },
        {
          guard: and(['isRestartDisallowed', 'isCleanExit']),
          target: 'stopping',
          actions: { type: 'stopThen', params: 'stopped' },
        },
        { guard: 'isRestartDisallowed', target: 'stopping', actions: { type: 'stopThen', params: 'failed' } },
        { guard: 'isIntensityExceeded', target: 'stopping', actions: { type: 'stopThen', params: 'failed' } },
        { guard: 'isStartBudgetSpent', target: 'stopping', actions: { type: 'stopThen', params: 'failed' } },
        { target: 'stopping', actions: { type: 'stopThen', params: 'restarting' } },
      ],
    },
    running: {
      tags: ['running'],
      entry: ['noteCause', 'reportReady'],
      initial: 'healthy',
      invoke: { id: 'watchExit', src: 'watchExit', input: ({ context }) => ({ instance: context.instance }) },
      after: { stableUptime: { actions: 'resetBackoff' } },
      on: {
        'server.exited': { target: 'deciding', actions: { type: 'recordExit', params: ({ event }) => event } },
        'server.catalog': { actions: { type: 'recordCatalog', params: ({ event }) => event.tools } },
        'health.restart': {
          target: 'deciding',
          actions: {
            type: 'recordFailure',
            params: ({ event }) => ({ code: event.code, message: event.reason, exitCode: null, signal: null, stderrTail: [] }),
          },
        },
        'server.stop': { target: 'stopping', actions: { type: 'stopThen', params: 'stopped' } },
        'server.restart': { target: 'stopping', actions: [{ type: 'stopThen', params: 'starting' }, 'resetBudget'] },
        'server.retire': { target: 'draining' },
      },
      states: {
        healthy: {
          tags: ['routable', 'preferred'],
          entry: 'noteCause',
          on: {
            'health.good': { actions: 'countGood' },
            'health.bad': [{ guard: 'isDropDueAfterThis', target: 'degraded', actions: 'resetStreaks' }, { actions: 'countBad' }],
          },
        },
        degraded: {
          tags: ['routable'],
          entry: 'noteCause',
          on: {
            'health.good': [{ guard: 'isRiseDueAfterThis', target: 'healthy', actions: 'resetStreaks' }, { actions: 'countGood' }],
            'health.bad': [{ guard: 'isDropDueAfterThis', target: 'unhealthy', actions: 'resetStreaks' }, { actions: 'countBad' }],
          },
        },
        unhealthy: {
          tags: ['routable'],
          entry: 'noteCause',
          on: {
            'health.good': [{ guard: 'isRiseDueAfterThis', target: 'degraded', actions: 'resetStreaks' }, { actions: 'countGood' }],
            'health.bad': [{ guard: 'isDropDueAfterThis', target: 'critical', actions: 'resetStreaks' }, { actions: 'countBad' }],
          },
        },
        critical: {
          entry: 'noteCause',
          after: {
            // the same decision as any failure: restart type and intensity apply
            criticalGrace: {
              target: '#server.deciding',
              actions: {
                type: 'recordFailure',
                params: {
                  code: 'HEALTH_CRITICAL',
                  message: 'health critical past the grace period',
                  exitCode: null,
                  signal: null,
                  stderrTail: [],
                },
              },
            },
          },
          on: {
            'health.good': [{ guard: 'isRiseDueAfterThis', target: 'unhealthy', actions: 'resetStreaks' }, { actions: 'countGood' }],
            'health.bad': { actions: 'countBad' },
          },
        },
      },
    },
    /** Out of routing; calls in flight may finish (bounded), then the stop ladder. */
    draining: {
      tags: ['busy'],
      entry: 'noteCause',
      invoke: {
        id: 'drain',
        src: 'drain',
        input: ({ context }) => ({ instance: context.instance }),
        onDone: { target: 'stopping', actions: { type: 'stopThen', params: 'removed' } },
        onError: { target: 'stopping', actions: { type: 'stopThen', params: 'removed' } },
      },
      after: { drainTimeout: { target: 'stopping', actions: { type: 'stopThen', params: 'removed' } } },
      on: {
        'server.exited': {
          target: 'stopping',
          actions: [
            { type: 'recordExit', params: ({ event }) => event },
            { type: 'stopThen', params: 'removed' },
          ],
        },
      },
    },
    stopping: {
      tags: ['busy'],
      entry: 'noteCause',
      invoke: {
        id: 'stop',
        src: 'stop',
        input: ({ context }) => ({ instance: context.instance }),
        onDone: { target: 'afterStop' },
        onError: { target: 'afterStop' },
      },
      after: { stopDeadline: { target: 'afterStop' } },
      on: {
        // the process ending during its stop is expected: record it, keep stopping
        'server.exited': { actions: { type: 'recordExit', params: ({ event }) => event } },
        'server.stop': { actions: { type: 'stopThen', params: 'stopped' } },
        'server.start': { actions: [{ type: 'stopThen', params: 'starting' }, 'resetBudget'] },
        'server.restart': { actions: [{ type: 'stopThen', params: 'starting' }, 'resetBudget'] },
      },
      exit: 'clearProcess',
    },
    afterStop: {
      always: [
        { guard: 'isAfterStopRemoved', target: 'removed' },
        { guard: 'isAfterStopRestarting', target: 'restarting' },
        { guard: 'isAfterStopStarting', target: 'starting' },
        { guard: 'isAfterStopFailed', target: 'failed' },
        { target: 'stopped' },
      ],
    },
    restarting: {
      tags: ['busy'],
      entry: ['noteCause', 'planRestart', 'scheduleDecay'],
      after: { restartBackoff: { target: 'starting' } },
      on: {
        'server.stop': { target: 'stopped' },
        'server.start': { target: 'starting', actions: 'resetBudget' },
        'server.restart': { target: 'starting', actions: 'resetBudget' },
      },
    },
    failed: {
      tags: ['down'],
      entry: ['noteCause', 'reportFailed'],
      on: {
        'server.start': { target: 'starting', actions: 'resetBudget' },
        'server.restart': { target: 'starting', actions: 'resetBudget' },
      },
    },
    removed: {
      type: 'final',
      tags: ['down'],
      entry: 'noteCause',
    },
  },
});

/** A clean end: exit code 0, no signal, no failure recorded. */
function isCleanEnd(context: ServerContext): boolean {
  return context.lastError === null && !isAbnormalExit(context.lastExit);
}

export type ServerActor = ActorRefFrom<typeof serverMachine>;
export type ServerSnapshot = SnapshotFrom<typeof serverMachine>;
