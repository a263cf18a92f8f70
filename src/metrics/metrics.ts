/**
 * The manager's Prometheus metrics (DESIGN §4 "Metric names"), on one prom-client
 * registry per manager. Instance state and restarts follow the transition feed; figures
 * that only matter when scraped (uptime, memory, CPU, in-flight and queued requests,
 * sessions, catalog size) are read from their owners at scrape time. Tool calls are
 * counted on the gateway's hot path through `calls`; pings through `observePing`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { publicState, type PublicServerState } from '../../machines/index.js';
import type { ServerSnapshot } from '../../machines/server.machine.js';
import { serverOfInstance } from '../../machines/supervisor.machine.js';
import { SERVER_STATES } from '../control/types.js';
import { CallMetrics } from './calls.js';

export const METRIC_PREFIX = 'mcp_manager_';

/** MCP calls and pings: from a local echo (≈1 ms) to a long tool run (a minute). */
export const CALL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const RELOAD_OUTCOMES = ['applied', 'unchanged', 'rejected'] as const;
export type ReloadOutcome = (typeof RELOAD_OUTCOMES)[number];

/** Distinct restart reasons kept (failure codes are a small fixed set; this is a guard). */
const MAX_REASONS = 32;
const OTHER_REASON = '_other';

/** The part of a transition the metrics read (the transition feed's `Transition`). */
export interface MetricsTransition {
  instance: string;
  server: string;
  /** Public state after, or 'removed' when the actor ended. */
  to: string;
  restarts: number;
}

/** The part of the transition feed the metrics read. */
export interface TransitionSource {
  on(listener: (t: MetricsTransition) => void): () => void;
  instances(): string[];
  snapshotOf(instance: string): ServerSnapshot | undefined;
}

export interface MetricsSources {
  feed: TransitionSource;
  /** Configured server names, in config order. */
  servers(): string[];
  /** Process-group memory and CPU of an instance from the health monitor, if sampled. */
  usage(instance: string): { memoryBytes: number | null; cpuPercent: number | null } | undefined;
  inflight(instance: string): number;
  queued(server: string): number;
  /** Connected gateway client sessions per protocol era. */
  sessions(): Record<string, number>;
  /** Idle gateway sessions evicted at the session cap so far. */
  sessionEvictions?(): number;
  catalogTools(): number;
  now?: () => number;
}

export interface Metrics {
  readonly registry: Registry;
  /** Tool-call series for the gateway's dispatch. */
  readonly calls: CallMetrics;
  /** A successful MCP ping's round trip. */
  observePing(server: string, seconds: number): void;
  countReload(outcome: ReloadOutcome): void;
  /** The exposition text (scrape). */
  text(): Promise<string>;
  readonly contentType: string;
  /** Stop following the feed. */
  close(): void;
}

interface Live {
  server: string;
  state: PublicServerState;
  /** Restarts seen so far (the actor's `restarts`), split by reason. */
  restarts: number;
  byReason: Map<string, number>;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const now = sources.now ?? (() => Date.now());
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  // gauges named *_total fail `promtool check metrics`; each is the sum of its by-type gauge
  for (const kind of ['resources', 'handles', 'requests']) registry.removeSingleMetric(`${METRIC_PREFIX}nodejs_active_${kind}_total`);
  const name = (n: string) => `${METRIC_PREFIX}${n}`;
  const live = new Map<string, Live>();
  const reasons = new Set<string>();

  const reasonOf = (instance: string): string => {
    const code = sources.feed.snapshotOf(instance)?.context.lastError?.code;
    const reason = code === undefined ? 'clean_exit' : code.toLowerCase();
    if (reasons.has(reason)) return reason;
    if (reasons.size >= MAX_REASONS) return OTHER_REASON;
    reasons.add(reason);
    return reason;
  };

  function follow(t: MetricsTransition): void {
    if (t.to === 'removed') {
      live.delete(t.instance);
      if (!sources.servers().includes(t.server)) forgetServer(t.server);
      return;
    }
    let entry = live.get(t.instance);
    if (entry === undefined) {
      entry = { server: t.server, state: t.to as PublicServerState, restarts: 0, byReason: new Map() };
      live.set(t.instance, entry);
    }
    entry.state = t.to as PublicServerState;
    if (t.restarts > entry.restarts) {
      const reason = reasonOf(t.instance);
      entry.byReason.set(reason, (entry.byReason.get(reason) ?? 0) + t.restarts - entry.restarts);
      entry.restarts = t.restarts;
    }
  }

  new Gauge({
    name: name('server_state'),
    help: 'Current state of each server instance: 1 for the state it is in, 0 for the others',
    labelNames: ['server', 'instance', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [instance, { server, state }] of live) {
        for (const s of SERVER_STATES) this.set({ server, instance, state: s }, s === state ? 1 : 0);
      }
    },
  });
  new Counter({
    name: name('server_restarts_total'),
    help: 'Automatic restarts of the live instances of each server, by the failure that caused them (lower-case failure code; clean_exit when none)',
    labelNames: ['server', 'reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { server, byReason } of live.values()) {
        for (const [reason, n] of byReason) this.inc({ server, reason }, n);
      }
    },
  });
  new Gauge({
    name: name('server_uptime_seconds'),
    help: 'Seconds since the running process (or connection) of each instance was launched; 0 when not running',
    labelNames: ['server', 'instance'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const at = now();
      for (const [instance, { server }] of live) {
        const snapshot = sources.feed.snapshotOf(instance);
        const startedAt = snapshot?.context.startedAt ?? null;
        const running = snapshot?.hasTag('running') === true && startedAt !== null;
        this.set({ server, instance }, running ? (at - startedAt) / 1000 : 0);
      }
    },
  });
  new Gauge({
    name: name('server_memory_bytes'),
    help: "Resident memory of each instance's whole process group at the last health check",
    labelNames: ['server', 'instance'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [instance, { server }] of live) {
        const bytes = sources.usage(instance)?.memoryBytes;
        if (bytes !== null && bytes !== undefined) this.set({ server, instance }, bytes);
      }
    },
  });
  new Gauge({
    name: name('server_cpu_ratio'),
    help: "CPU use of each instance's whole process group at the last health check (1 = one core)",
    labelNames: ['server', 'instance'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [instance, { server }] of live) {
        const percent = sources.usage(instance)?.cpuPercent;
        if (percent !== null && percent !== undefined) this.set({ server, instance }, percent / 100);
      }
    },
  });
  const ping = new Histogram({
    name: name('ping_duration_seconds'),
    help: 'Round trip of successful MCP pings by the health monitor',
    labelNames: ['server'] as const,
    buckets: CALL_BUCKETS,
    registers: [registry],
  });
  const calls = new CallMetrics(
    new Histogram({
      name: name('tool_call_duration_seconds'),
      help: 'Duration of tool calls through the gateway, from the request to the answer',
      labelNames: ['server', 'tool'] as const,
      buckets: CALL_BUCKETS,
      registers: [registry],
    }),
  );
  new Counter({
    name: name('tool_calls_total'),
    help: 'Tool calls through the gateway by outcome (ok, tool_error: an isError result, error: the call failed); at most 100 tools per server, the rest as _other',
    labelNames: ['server', 'tool', 'outcome'] as const,
    registers: [registry],
    collect() {
      calls.publish(this);
    },
  });
  new Gauge({
    name: name('inflight_requests'),
    help: 'Requests the gateway has in flight on each instance',
    labelNames: ['server', 'instance'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [instance, { server }] of live) this.set({ server, instance }, sources.inflight(instance));
    },
  });
  new Gauge({
    name: name('queued_requests'),
    help: 'Requests waiting for a free instance of each server',
    labelNames: ['server'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const server of sources.servers()) this.set({ server }, sources.queued(server));
    },
  });
  new Gauge({
    name: name('gateway_sessions'),
    help: 'MCP client sessions connected to the gateway, by protocol era',
    labelNames: ['era'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [era, n] of Object.entries(sources.sessions())) this.set({ era }, n);
    },
  });
  new Counter({
    name: name('gateway_session_evictions_total'),
    help: 'Idle gateway client sessions closed to make room for a new one at the session cap',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.sessionEvictions?.() ?? 0);
    },
  });
  new Gauge({
    name: name('catalog_tools'),
    help: "Tools the gateway lists (every server's, under their public names)",
    registers: [registry],
    collect() {
      this.set(sources.catalogTools());
    },
  });
  const reloads = new Counter({
    name: name('config_reloads_total'),
    help: 'Config reloads by outcome (applied: something changed, unchanged, rejected: the file was invalid)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of RELOAD_OUTCOMES) reloads.inc({ outcome }, 0);

  function forgetServer(server: string): void {
    calls.forget(server);
    ping.remove({ server });
  }

  for (const instance of sources.feed.instances()) {
    const snapshot = sources.feed.snapshotOf(instance);
    if (snapshot === undefined) continue;
    follow({ instance, server: serverOfInstance(instance), to: publicState(snapshot), restarts: snapshot.context.restarts });
  }
  const unsubscribe = sources.feed.on(follow);

  return {
    registry,
    calls,
    observePing: (server, seconds) => ping.observe({ server }, seconds),
    countReload: (outcome) => reloads.inc({ outcome }),
    text: () => registry.metrics(),
    contentType: registry.contentType,
    close: unsubscribe,
  };
}
