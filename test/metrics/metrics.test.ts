/**
 * The metrics module on its own: a scripted transition feed and fixed sources in, the
 * exposition text out (checked by promtool when it is installed).
 */
import { describe, expect, it } from 'vitest';
import type { ServerSnapshot } from '../../machines/server.machine.js';
import { MAX_TOOLS_PER_SERVER, OTHER_TOOL } from '../../src/metrics/calls.js';
import { createMetrics, type MetricsSources, type MetricsTransition } from '../../src/metrics/metrics.js';
import { promtoolCheck, samples, select, total } from './exposition.js';

interface FakeInstance {
  running: boolean;
  startedAt: number | null;
  lastError: { code: string } | null;
  restarts: number;
}

function fakeFeed() {
  const listeners = new Set<(t: MetricsTransition) => void>();
  const instances = new Map<string, FakeInstance>();
  const snapshot = (i: FakeInstance) =>
    ({
      value: i.running ? { running: 'healthy' } : 'restarting',
      context: i,
      hasTag: (tag: string) => tag === 'running' && i.running,
    }) as unknown as ServerSnapshot;
  return {
    instances,
    emit(t: MetricsTransition, state: Partial<FakeInstance> = {}) {
      if (t.to === 'removed') instances.delete(t.instance);
      else
        instances.set(t.instance, {
          running: false,
          startedAt: null,
          lastError: null,
          ...instances.get(t.instance),
          ...state,
          restarts: t.restarts,
        });
      for (const l of listeners) l(t);
    },
    feed: {
      on(listener: (t: MetricsTransition) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      instances: () => [...instances.keys()],
      snapshotOf: (id: string) => {
        const i = instances.get(id);
        return i && snapshot(i);
      },
    },
  };
}

function setup(servers = ['alpha', 'beta']) {
  const f = fakeFeed();
  const configured = [...servers];
  const sources: MetricsSources = {
    feed: f.feed,
    servers: () => configured,
    usage: (instance) => (instance === 'alpha' ? { memoryBytes: 12_345_678, cpuPercent: 25 } : undefined),
    inflight: (instance) => (instance === 'alpha' ? 3 : 0),
    queued: (server) => (server === 'beta' ? 2 : 0),
    sessions: () => ({ legacy: 4 }),
    catalogTools: () => 7,
    now: () => 100_000,
  };
  const metrics = createMetrics(sources);
  const scrape = async () => samples(await metrics.text());
  return { ...f, metrics, scrape, configured };
}

describe('metrics', () => {
  it('names every metric of the design with its labels, prefixed, and promtool accepts the text', async () => {
    const m = setup();
    m.emit({ instance: 'alpha', server: 'alpha', to: 'healthy', restarts: 0 }, { running: true, startedAt: 40_000 });
    m.metrics.calls.series('alpha', 'echo').record('ok', performance.now());
    m.metrics.observePing('alpha', 0.002);
    m.metrics.countReload('applied');
    const text = await m.metrics.text();
    const names = new Set(samples(text).map((s) => s.name));
    for (const metric of [
      'server_state',
      'server_uptime_seconds',
      'server_memory_bytes',
      'server_cpu_ratio',
      'ping_duration_seconds_bucket',
      'tool_calls_total',
      'tool_call_duration_seconds_bucket',
      'inflight_requests',
      'queued_requests',
      'gateway_sessions',
      'catalog_tools',
      'config_reloads_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(names, metric).toContain(`mcp_manager_${metric}`);
    }
    expect([...names].every((n) => n.startsWith('mcp_manager_'))).toBe(true);
    const all = samples(text);
    expect(select(all, 'mcp_manager_server_state', { server: 'alpha', instance: 'alpha', state: 'healthy' })[0]?.value).toBe(1);
    expect(total(all, 'mcp_manager_server_state', { instance: 'alpha' })).toBe(1);
    expect(select(all, 'mcp_manager_server_state', { instance: 'alpha' })).toHaveLength(9);
    expect(select(all, 'mcp_manager_server_uptime_seconds', { server: 'alpha', instance: 'alpha' })[0]?.value).toBe(60);
    expect(select(all, 'mcp_manager_server_memory_bytes', { instance: 'alpha' })[0]?.value).toBe(12_345_678);
    expect(select(all, 'mcp_manager_server_cpu_ratio', { instance: 'alpha' })[0]?.value).toBe(0.25);
    expect(select(all, 'mcp_manager_inflight_requests', { server: 'alpha', instance: 'alpha' })[0]?.value).toBe(3);
    expect(select(all, 'mcp_manager_queued_requests', { server: 'beta' })[0]?.value).toBe(2);
    expect(select(all, 'mcp_manager_gateway_sessions', { era: 'legacy' })[0]?.value).toBe(4);
    expect(select(all, 'mcp_manager_catalog_tools')[0]?.value).toBe(7);
    expect(select(all, 'mcp_manager_config_reloads_total', { outcome: 'applied' })[0]?.value).toBe(1);
    expect(select(all, 'mcp_manager_config_reloads_total', { outcome: 'rejected' })[0]?.value).toBe(0);
    expect(select(all, 'mcp_manager_tool_calls_total', { server: 'alpha', tool: 'echo', outcome: 'ok' })[0]?.value).toBe(1);
    expect(select(all, 'mcp_manager_ping_duration_seconds_count', { server: 'alpha' })[0]?.value).toBe(1);
    // buckets from 1 ms to 60 s
    const les = select(all, 'mcp_manager_tool_call_duration_seconds_bucket', { server: 'alpha', tool: 'echo' }).map((s) => s.labels.le);
    expect(les[0]).toBe('0.001');
    expect(les.at(-2)).toBe('60');
    expect(les.at(-1)).toBe('+Inf');
    const check = promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });

  it('counts restarts by the failure that caused them and reads the state from the transitions', async () => {
    const m = setup();
    m.emit({ instance: 'alpha', server: 'alpha', to: 'healthy', restarts: 0 }, { running: true, startedAt: 1 });
    m.emit({ instance: 'alpha', server: 'alpha', to: 'restarting', restarts: 1 }, { running: false, lastError: { code: 'SERVER_EXITED' } });
    let all = await m.scrape();
    expect(select(all, 'mcp_manager_server_restarts_total', { server: 'alpha', reason: 'server_exited' })[0]?.value).toBe(1);
    expect(select(all, 'mcp_manager_server_state', { instance: 'alpha', state: 'restarting' })[0]?.value).toBe(1);
    expect(select(all, 'mcp_manager_server_uptime_seconds', { instance: 'alpha' })[0]?.value).toBe(0);
    m.emit({ instance: 'alpha', server: 'alpha', to: 'starting', restarts: 1 });
    m.emit({ instance: 'alpha', server: 'alpha', to: 'restarting', restarts: 2 }, { lastError: { code: 'INITIALIZE_TIMEOUT' } });
    m.emit({ instance: 'alpha', server: 'alpha', to: 'restarting', restarts: 3 }, { lastError: null });
    all = await m.scrape();
    expect(total(all, 'mcp_manager_server_restarts_total', { server: 'alpha' })).toBe(3);
    expect(select(all, 'mcp_manager_server_restarts_total', { reason: 'initialize_timeout' })[0]?.value).toBe(1);
    expect(select(all, 'mcp_manager_server_restarts_total', { reason: 'clean_exit' })[0]?.value).toBe(1);
  });

  it('drops a gone instance from the gauges, and a removed server from every series', async () => {
    const m = setup();
    m.emit({ instance: 'alpha', server: 'alpha', to: 'healthy', restarts: 0 }, { running: true, startedAt: 1 });
    m.emit({ instance: 'alpha~2', server: 'alpha', to: 'healthy', restarts: 0 }, { running: true, startedAt: 1 });
    m.emit({ instance: 'beta', server: 'beta', to: 'restarting', restarts: 1 }, { lastError: { code: 'SERVER_EXITED' } });
    m.metrics.calls.series('beta', 'echo').record('error', performance.now());
    m.metrics.observePing('beta', 0.01);
    // a replaced instance goes; its server stays
    m.emit({ instance: 'alpha', server: 'alpha', to: 'removed', restarts: 0 });
    let all = await m.scrape();
    expect(select(all, 'mcp_manager_server_state', { instance: 'alpha' })).toEqual([]);
    expect(select(all, 'mcp_manager_server_state', { instance: 'alpha~2' })).toHaveLength(9);
    // beta leaves the config
    m.configured.splice(m.configured.indexOf('beta'), 1);
    m.emit({ instance: 'beta', server: 'beta', to: 'removed', restarts: 1 });
    all = await m.scrape();
    expect(all.filter((s) => s.labels.server === 'beta')).toEqual([]);
    expect(select(all, 'mcp_manager_server_state', { instance: 'alpha~2' })).toHaveLength(9);
  });

  it('keeps at most 100 tool label values per server; the rest count as _other', async () => {
    const m = setup();
    const started = performance.now();
    for (let i = 0; i < MAX_TOOLS_PER_SERVER + 20; i++) m.metrics.calls.series('alpha', `tool${i}`).record('ok', started);
    m.metrics.calls.series('alpha', 'tool0').record('tool_error', started);
    m.metrics.calls.series('beta', 'tool0').record('ok', started);
    const all = await m.scrape();
    const tools = new Set(select(all, 'mcp_manager_tool_calls_total', { server: 'alpha' }).map((s) => s.labels.tool));
    expect(tools.size).toBe(MAX_TOOLS_PER_SERVER + 1);
    expect(tools).toContain(OTHER_TOOL);
    expect(tools).not.toContain(`tool${MAX_TOOLS_PER_SERVER}`);
    expect(select(all, 'mcp_manager_tool_calls_total', { server: 'alpha', tool: OTHER_TOOL, outcome: 'ok' })[0]?.value).toBe(20);
    expect(select(all, 'mcp_manager_tool_calls_total', { server: 'alpha', tool: 'tool0', outcome: 'tool_error' })[0]?.value).toBe(1);
    expect(select(all, 'mcp_manager_tool_call_duration_seconds_count', { server: 'alpha' }).reduce((n, s) => n + s.value, 0)).toBe(
      MAX_TOOLS_PER_SERVER + 21,
    );
    expect(select(all, 'mcp_manager_tool_calls_total', { server: 'beta', tool: 'tool0' })).toHaveLength(3);
  });

  it('follows instances that existed before it was created, and stops following when closed', async () => {
    const f = fakeFeed();
    f.emit({ instance: 'alpha', server: 'alpha', to: 'healthy', restarts: 2 }, { running: true, startedAt: 1, lastError: null });
    const metrics = createMetrics({
      feed: f.feed,
      servers: () => ['alpha'],
      usage: () => undefined,
      inflight: () => 0,
      queued: () => 0,
      sessions: () => ({}),
      catalogTools: () => 0,
    });
    let all = samples(await metrics.text());
    expect(select(all, 'mcp_manager_server_state', { instance: 'alpha', state: 'healthy' })[0]?.value).toBe(1);
    expect(total(all, 'mcp_manager_server_restarts_total', { server: 'alpha' })).toBe(2);
    metrics.close();
    f.emit({ instance: 'alpha', server: 'alpha', to: 'restarting', restarts: 3 });
    all = samples(await metrics.text());
    expect(select(all, 'mcp_manager_server_state', { instance: 'alpha', state: 'healthy' })[0]?.value).toBe(1);
  });
});
