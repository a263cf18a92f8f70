/**
 * The health monitor: every watched instance gets a check per `healthCheckIntervalMs`.
 * A check is an MCP ping over the instance's own client (main thread, own deadline),
 * the pool probes its config calls for (HTTP/TCP reachability of a remote server, a
 * health command) and a sample of its whole process group. The verdict goes to the
 * supervisor as `health.good` / `health.bad` (the chart moves tiers with hysteresis) or
 * `health.restart` (wedged event loop, memory or CPU limit) — at most one restart per
 * process. Trends (latency, failure rate, memory climb) come from a bounded history.
 */
import type { SupervisorEvent } from '../../machines/events.js';
import { serverOfInstance } from '../../machines/supervisor.machine.js';
import type { ServerConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import { createProbePool } from '../probes/pool.js';
import type { ProbeResult } from '../probes/types.js';
import type { Session, SessionRegistry } from '../server-actor/session.js';
import { judgeCheck, type PingOutcome, type Streaks } from './checks.js';
import { stdoutNoise, type LineCounts } from './stdout-noise.js';
import { systemClock } from './clock.js';
import { HEALTH_DEFAULTS } from './defaults.js';
import { createProcessSampler } from './process-stats.js';
import { Ring } from './ring.js';
import { resolveSettings, type HealthSettings } from './settings.js';
import { ewma, failureRate, memoryTrend, percentile } from './trend.js';
import type {
  GroupUsage,
  HealthClock,
  HealthOverrides,
  HealthProbeKind,
  InstanceHealth,
  ProbeRunner,
  ProbeSummary,
  ProcessSampler,
} from './types.js';
import { SdkErrorCode } from '@modelcontextprotocol/client';
import { z } from 'zod';

export type HealthEvent = Extract<SupervisorEvent, { type: 'health.good' | 'health.bad' | 'health.restart' }>;

export interface HealthMonitorDeps {
  sessions: SessionRegistry;
  configOf(server: string): ServerConfig | undefined;
  /** The supervisor's inbox: `root.send(event)`. */
  send(event: HealthEvent): void;
  logger: Logger;
  /** Per-server settings on top of HEALTH_DEFAULTS. */
  overridesOf?(server: string): HealthOverrides | undefined;
  /** The probe pool; absent → the monitor starts its own on first use and closes it. */
  pool?: ProbeRunner;
  /** Process statistics; absent → pidusage over /proc process groups. */
  sampler?: ProcessSampler;
  clock?: HealthClock;
  /** Told of every successful ping (metrics). */
  onPing?(server: string, latencyMs: number): void;
}

export interface HealthMonitor {
  /** Start checking an instance (idempotent). Call when it enters `running`. */
  watch(instance: string): void;
  /** Stop checking it and forget its history. Call when it leaves `running`. */
  unwatch(instance: string): void;
  watched(): string[];
  instanceHealth(instance: string): InstanceHealth | undefined;
  /** Every watched instance, or those of one server. */
  snapshot(server?: string): InstanceHealth[];
  close(): Promise<void>;
}

/**
 * A ping's result (empty). Given a schema, the SDK takes its explicit-schema path; its
 * spec-method path (`client.ping()`) first validates `undefined` against the method's
 * result schema, to learn whether the method exists in the era, and formats the ZodError
 * that gives, on every request: at 1,000 servers a visible share of the idle manager's CPU.
 */
const PING_RESULT = z.looseObject({});

/** Why a ping's signal was aborted. */
const PING_DEADLINE = Symbol('ping deadline');
const PING_STOPPED = Symbol('ping stopped');

/** Everything known about one process of an instance; replaced when the session is. */
interface History {
  session: Session;
  streaks: Streaks;
  latencies: Ring<number>;
  outcomes: Ring<boolean>;
  memory: Ring<readonly [number, number]>;
  lastLatency: number | null;
  latencyEwma: number | null;
  usage: GroupUsage | null;
  memoryGrowth: number | null;
  flagged: string[];
  probes: Map<HealthProbeKind, ProbeSummary>;
  lastProbe: ProbeSummary | null;
  reasons: string[];
  checkedAt: number | null;
  restartRequested: string | null;
  limits: InstanceHealth['limits'];
  /** stdout line counts at the last check. */
  lines: LineCounts | null;
}

interface Watched {
  instance: string;
  intervalMs: number;
  cancelTimer: () => void;
  /** A check is in flight (a slow one makes the next tick skip, never overlap). */
  busy: boolean;
  stop: AbortController;
  history: History | null;
}

export function startHealthMonitor(deps: HealthMonitorDeps): HealthMonitor {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ component: 'health' });
  const ownSampler = deps.sampler === undefined;
  const sampler = deps.sampler ?? createProcessSampler();
  let ownPool: ProbeRunner | undefined;
  const pool = (): ProbeRunner =>
    deps.pool ?? (ownPool ??= createProbePool({ onError: (error) => log.warn({ err: error.message }, 'probe pool error') }));
  const watching = new Map<string, Watched>();
  let closed = false;
  /**
   * Checks that are due. Many instances can come due in the same instant (watched
   * together): their pings start a few per event-loop turn, so starting them never
   * stalls the loop for the gateway's requests.
   */
  const due = new Set<Watched>();
  let draining = false;
  const drain = () => {
    let started = 0;
    for (const w of due) {
      if (started++ === HEALTH_DEFAULTS.checksPerTurn) break;
      due.delete(w);
      void check(w);
    }
    draining = due.size > 0;
    if (draining) setImmediate(drain);
  };
  const enqueue = (w: Watched) => {
    due.add(w);
    if (!draining) {
      draining = true;
      setImmediate(drain);
    }
  };

  const intervalOf = (instance: string) => deps.configOf(serverOfInstance(instance))?.healthCheckIntervalMs ?? 30_000;

  function schedule(w: Watched, intervalMs: number): void {
    w.cancelTimer();
    w.intervalMs = intervalMs;
    w.cancelTimer = clock.every(intervalMs, () => enqueue(w));
  }

  function freshHistory(session: Session): History {
    const size = HEALTH_DEFAULTS.historySize;
    return {
      session,
      streaks: { pingTimeouts: 0, cpuOver: 0 },
      latencies: new Ring(size),
      outcomes: new Ring(size),
      memory: new Ring(size),
      lastLatency: null,
      latencyEwma: null,
      usage: null,
      memoryGrowth: null,
      flagged: [],
      probes: new Map(),
      lastProbe: null,
      reasons: [],
      checkedAt: null,
      restartRequested: null,
      limits: { maxMemoryBytes: null, maxCpuPercent: null },
      lines: null,
    };
  }

  async function ping(session: Session, timeoutMs: number, stop: AbortSignal): Promise<PingOutcome> {
    const started = clock.now();
    const controller = new AbortController();
    const cancelDeadline = clock.after(timeoutMs, () => controller.abort(PING_DEADLINE));
    const onStop = () => controller.abort(PING_STOPPED);
    stop.addEventListener('abort', onStop, { once: true });
    try {
      // 2026-07-28 has no ping: a modern server is asked for its discover answer instead
      const options = { timeout: timeoutMs, signal: controller.signal };
      await (session.client.getProtocolEra() === 'modern'
        ? session.client.discover(options)
        : session.client.request({ method: 'ping' }, PING_RESULT, options));
      return { ok: true, latencyMs: clock.now() - started, timedOut: false, processAlive: true, detail: 'pong' };
    } catch (error) {
      const latencyMs = clock.now() - started;
      const timedOut = error === PING_DEADLINE || (error as { code?: unknown } | null)?.code === SdkErrorCode.RequestTimeout;
      if (!timedOut) {
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, latencyMs, timedOut, processAlive: false, detail: `ping failed: ${message}` };
      }
      const pid = session.transport.pid;
      const processAlive = pid !== null && session.transport.running && (await sampler.isAlive(pid));
      const where = pid === null ? '' : processAlive ? ` (pid ${pid} alive)` : ` (pid ${pid} gone)`;
      return { ok: false, latencyMs, timedOut, processAlive, detail: `ping timed out after ${timeoutMs} ms${where}` };
    } finally {
      cancelDeadline();
      stop.removeEventListener('abort', onStop);
    }
  }

  async function check(w: Watched): Promise<void> {
    if (w.busy || closed) return;
    const session = deps.sessions.get(w.instance);
    const config = session && deps.configOf(session.server);
    if (!session || !config) return;
    if (w.history?.session !== session) w.history = freshHistory(session);
    const history = w.history;
    // a restart was asked for this process: nothing more to say about it
    if (history.restartRequested) return;
    const settings = resolveSettings(config, deps.overridesOf?.(session.server));
    if (settings.intervalMs !== w.intervalMs) schedule(w, settings.intervalMs);
    history.limits = { maxMemoryBytes: settings.maxMemoryBytes, maxCpuPercent: settings.maxCpuPercent };

    w.busy = true;
    try {
      const pid = session.transport.pid;
      const [pinged, probes, usage] = await Promise.all([
        ping(session, settings.pingTimeoutMs, w.stop.signal),
        Promise.all(settings.probes.map((task) => pool().run(task))),
        pid === null ? Promise.resolve(undefined) : sampler.sample(pid, settings.intervalMs),
      ]);
      // unwatched, closed or replaced meanwhile: this result describes nothing current
      if (closed || watching.get(w.instance) !== w || w.history !== history) return;
      conclude(w.instance, history, settings, { pinged, probes, usage, pid });
    } catch (error) {
      log.error({ instance: w.instance, err: error instanceof Error ? error.message : String(error) }, 'health check failed');
    } finally {
      w.busy = false;
    }
  }

  function conclude(
    instance: string,
    history: History,
    settings: HealthSettings,
    result: { pinged: PingOutcome; probes: ProbeResult[]; usage: GroupUsage | null | undefined; pid: number | null },
  ): void {
    const { pinged, probes, usage, pid } = result;
    const now = clock.now();
    const verdict = judgeCheck({ ping: pinged, probes, usage, pid, settings, streaks: history.streaks });
    history.streaks = verdict.streaks;
    const lines = history.session.transport.stdoutLines;
    const noise = stdoutNoise(history.lines, lines);
    if (noise !== null) verdict.reasons.push(noise);
    if (lines) history.lines = { ...lines };

    if (pinged.ok) {
      history.lastLatency = pinged.latencyMs;
      history.latencyEwma = ewma(history.latencyEwma, pinged.latencyMs, HEALTH_DEFAULTS.latencyEwmaAlpha);
      history.latencies.push(pinged.latencyMs);
      deps.onPing?.(history.session.server, pinged.latencyMs);
    }
    if (usage) {
      history.usage = usage;
      history.memory.push([now, usage.memoryBytes]);
    }
    const pingSummary: ProbeSummary = { kind: 'ping', ok: pinged.ok, at: now, latencyMs: pinged.latencyMs, detail: pinged.detail };
    const summaries = [pingSummary, ...probes.map(({ kind, ok, at, latencyMs, detail }) => ({ kind, ok, at, latencyMs, detail }))];
    for (const summary of summaries) history.probes.set(summary.kind, summary);
    history.lastProbe = summaries.find((s) => !s.ok) ?? pingSummary;
    history.reasons = verdict.restart ? [verdict.restart.reason, ...verdict.reasons] : verdict.reasons;
    history.outcomes.push(verdict.restart === null && verdict.reasons.length === 0);
    history.checkedAt = now;

    const trend = memoryTrend(history.memory.toArray(), settings.maxMemoryBytes, HEALTH_DEFAULTS.memoryTrend);
    history.memoryGrowth = trend.bytesPerMin;
    const flagged = trend.flag ? [trend.flag] : [];
    if (flagged.length > 0 && history.flagged.length === 0) log.warn({ instance, flag: flagged[0] }, 'memory climbing');
    history.flagged = flagged;

    if (verdict.restart) {
      history.restartRequested = verdict.restart.code;
      log.warn({ instance, code: verdict.restart.code, reason: verdict.restart.reason }, 'health: restarting');
      deps.send({ type: 'health.restart', instance, code: verdict.restart.code, reason: verdict.restart.reason });
    } else if (verdict.reasons.length > 0) {
      log.debug({ instance, reasons: verdict.reasons }, 'health check bad');
      deps.send({ type: 'health.bad', instance, reason: verdict.reasons.join('; ') });
    } else {
      deps.send({ type: 'health.good', instance });
    }
  }

  function view(w: Watched): InstanceHealth {
    const h = w.history;
    const server = h?.session.server ?? serverOfInstance(w.instance);
    return {
      name: server,
      instance: w.instance,
      pid: h?.session.transport.pid ?? deps.sessions.get(w.instance)?.transport.pid ?? null,
      latencyMs: {
        last: h?.lastLatency ?? null,
        ewma: h?.latencyEwma ?? null,
        p95: h ? percentile(h.latencies.toArray(), 95) : null,
      },
      cpuPercent: h?.usage?.cpuPercent ?? null,
      memoryBytes: h?.usage?.memoryBytes ?? null,
      processes: h?.usage?.pids.length ?? null,
      limits: h?.limits ?? { maxMemoryBytes: null, maxCpuPercent: null },
      trend: {
        memoryGrowthBytesPerMin: h?.memoryGrowth ?? null,
        failureRate: h ? failureRate(h.outcomes.toArray()) : 0,
        samples: h?.outcomes.size ?? 0,
        flagged: [...(h?.flagged ?? [])],
      },
      lastProbe: h?.lastProbe ?? null,
      probes: h ? [...h.probes.values()] : [],
      reasons: [...(h?.reasons ?? [])],
      checkedAt: h?.checkedAt ?? null,
      restartRequested: h?.restartRequested ?? null,
    };
  }

  function unwatch(instance: string): void {
    const w = watching.get(instance);
    if (!w) return;
    watching.delete(instance);
    due.delete(w);
    w.cancelTimer();
    // only a check in flight listens (an abort costs an event and an error object: at shutdown, one per server)
    if (w.busy) w.stop.abort();
  }

  return {
    watch(instance) {
      if (closed || watching.has(instance)) return;
      const w: Watched = { instance, intervalMs: 0, cancelTimer: () => undefined, busy: false, stop: new AbortController(), history: null };
      watching.set(instance, w);
      schedule(w, Math.max(50, intervalOf(instance)));
    },
    unwatch,
    watched: () => [...watching.keys()],
    instanceHealth(instance) {
      const w = watching.get(instance);
      return w ? view(w) : undefined;
    },
    snapshot(server) {
      return [...watching.values()].filter((w) => server === undefined || serverOfInstance(w.instance) === server).map(view);
    },
    async close() {
      if (closed) return;
      for (const instance of [...watching.keys()]) unwatch(instance);
      closed = true;
      if (ownSampler) sampler.close();
      await ownPool?.close();
    },
  };
}
