/**
 * The monitor's decisions and scheduling on virtual time: fake sessions (scripted pings),
 * a fake process sampler and a fake probe pool. Real processes: monitor.test.ts.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config/types.js';
import { startHealthMonitor, type HealthMonitor } from '../../src/health/monitor.js';
import type { GroupUsage, HealthOverrides, ProbeRunner, ProcessSampler } from '../../src/health/types.js';
import { silentLogger } from '../../src/logger.js';
import type { ProbeResult, ProbeTask } from '../../src/probes/types.js';
import type { ProcessTransport } from '../../src/transports/process-transport.js';
import { SessionRegistry, type Session } from '../../src/server-actor/session.js';
import { Inbox, ManualClock, serverConfig, sessionOf } from './helpers.js';

const MiB = 1024 * 1024;

type Pong = 'ok' | 'hang' | { delayMs: number } | { error: string };

/** The server end of a fake session: answers pings as scripted. */
class FakeServer {
  next: Pong = 'ok';
  pings = 0;
  lastOptions: { timeout?: number } = {};
  constructor(private readonly clock: ManualClock) {}

  ping = (options: { timeout?: number; signal?: AbortSignal } = {}): Promise<object> => {
    this.pings++;
    this.lastOptions = { ...(options.timeout === undefined ? {} : { timeout: options.timeout }) };
    const pong = this.next;
    return new Promise((resolve, reject) => {
      // like the SDK: an aborted request rejects with the signal's reason
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error), { once: true });
      if (pong === 'ok') resolve({});
      else if (pong === 'hang') return;
      else if ('delayMs' in pong) this.clock.after(pong.delayMs, () => resolve({}));
      else reject(new Error(pong.error));
    });
  };
}

class FakeSampler implements ProcessSampler {
  usage: GroupUsage | null = { pids: [4242], memoryBytes: 50 * MiB, cpuPercent: 1 };
  alive = true;
  samples = 0;
  closed = false;
  sample = (): Promise<GroupUsage | null> => {
    this.samples++;
    return Promise.resolve(this.usage);
  };
  isAlive = (): Promise<boolean> => Promise.resolve(this.alive);
  close(): void {
    this.closed = true;
  }
}

class FakePool implements ProbeRunner {
  readonly tasks: ProbeTask[] = [];
  answer: (task: ProbeTask) => Promise<ProbeResult> = (task) =>
    Promise.resolve({ ok: true, kind: task.kind, latencyMs: 1, detail: 'fine', at: 0 });
  run = (task: ProbeTask): Promise<ProbeResult> => {
    this.tasks.push(task);
    return this.answer(task);
  };
  close = (): Promise<void> => Promise.resolve();
}

function fakeSession(instance: string, server: FakeServer, pid: number | null = 4242): Session {
  const transport = { pid, running: true, exited: new Promise(() => undefined), stderrTail: () => [] } as unknown as ProcessTransport;
  return sessionOf(instance, instance.split('#')[0]!, transport, {
    // the monitor pings through `request` with its own result schema
    request: (request: { method: string }, _schema: unknown, options?: { timeout?: number; signal?: AbortSignal }) =>
      request.method === 'ping' ? server.ping(options) : Promise.reject(new Error(`unexpected ${request.method}`)),
    getProtocolEra: () => 'legacy',
  } as unknown as Client);
}

let monitor: HealthMonitor | undefined;
afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
});

function setup(options: { config?: Partial<ServerConfig>; overrides?: HealthOverrides } = {}) {
  const clock = new ManualClock();
  const inbox = new Inbox(clock.now);
  const sessions = new SessionRegistry();
  const server = new FakeServer(clock);
  const sampler = new FakeSampler();
  const pool = new FakePool();
  const config = serverConfig('s1', { healthCheckIntervalMs: 1_000, ...options.config });
  monitor = startHealthMonitor({
    sessions,
    configOf: (name) => (name === 's1' ? config : undefined),
    overridesOf: () => options.overrides,
    send: inbox.send,
    logger: silentLogger(),
    pool,
    sampler,
    clock,
  });
  sessions.set(fakeSession('s1', server));
  const start = clock.now();
  return { clock, inbox, sessions, server, sampler, pool, config, monitor, start, since: (at: number) => at - start };
}

describe('scheduling', () => {
  it('checks once per interval, the first one interval after watch', async () => {
    const { clock, inbox, monitor, server } = setup();
    monitor.watch('s1');
    monitor.watch('s1'); // idempotent
    await clock.advance(999);
    expect(inbox.events).toEqual([]);
    await clock.advance(1);
    expect(inbox.types('s1')).toEqual(['health.good']);
    await clock.advance(3_000);
    expect(inbox.types('s1')).toEqual(Array(4).fill('health.good'));
    expect(server.pings).toBe(4);
  });

  it('follows a changed interval', async () => {
    const { clock, inbox, monitor, config } = setup();
    monitor.watch('s1');
    await clock.advance(1_000);
    config.healthCheckIntervalMs = 3_000;
    await clock.advance(1_000); // this check sees the new interval and reschedules
    await clock.advance(2_999);
    expect(inbox.events.length).toBe(2);
    await clock.advance(1);
    expect(inbox.events.length).toBe(3);
    await clock.advance(3_000);
    expect(inbox.events.length).toBe(4);
  });

  it('never overlaps checks: one that outlasts the interval makes the next tick skip', async () => {
    const { clock, server, pool, monitor, inbox } = setup({ config: { connectionType: 'http', url: 'http://127.0.0.1:1/mcp' } });
    let release!: () => void;
    const answer = pool.answer;
    pool.answer = (task) => {
      pool.answer = answer;
      return new Promise((resolve) => (release = () => resolve({ ok: true, kind: task.kind, latencyMs: 1, detail: 'late', at: 0 })));
    };
    monitor.watch('s1');
    await clock.advance(3_500);
    expect(server.pings).toBe(1);
    expect(pool.tasks.length).toBe(1);
    release();
    await clock.advance(500);
    expect(inbox.types('s1')).toEqual(['health.good', 'health.good']);
  });

  it('unwatch stops the checks and drops the instance; close stops everything', async () => {
    const { clock, inbox, monitor, sampler } = setup();
    monitor.watch('s1');
    await clock.advance(1_000);
    monitor.unwatch('s1');
    await clock.advance(5_000);
    expect(inbox.events.length).toBe(1);
    expect(monitor.snapshot()).toEqual([]);
    expect(clock.pending()).toBe(0);
    await monitor.close();
    monitor.watch('s1');
    await clock.advance(5_000);
    expect(inbox.events.length).toBe(1);
    // the sampler was given, not owned: the monitor leaves it open
    expect(sampler.closed).toBe(false);
  });

  it('waits while the instance has no session or config', async () => {
    const { clock, inbox, monitor, sessions } = setup();
    sessions.delete(sessions.get('s1')!);
    monitor.watch('s1');
    monitor.watch('unknown');
    await clock.advance(3_000);
    expect(inbox.events).toEqual([]);
  });
});

describe('ping', () => {
  it('uses its own deadline, capped at the interval', async () => {
    const { clock, monitor, server } = setup({ overrides: { pingTimeoutMs: 60_000 } });
    monitor.watch('s1');
    await clock.advance(1_000);
    expect(server.lastOptions.timeout).toBe(1_000);
  });

  it('a slow ping is bad and says how slow', async () => {
    const { clock, inbox, monitor, server } = setup({ config: { healthCheckIntervalMs: 5_000 } });
    server.next = { delayMs: 1_200 };
    monitor.watch('s1');
    await clock.advance(6_200);
    expect(inbox.of('s1')).toMatchObject([{ type: 'health.bad', reason: 'ping took 1200 ms (slow above 1000 ms)' }]);
  });

  it('a failed ping is bad with its error', async () => {
    const { clock, inbox, monitor, server } = setup();
    server.next = { error: 'Connection closed' };
    monitor.watch('s1');
    await clock.advance(1_000);
    expect(inbox.of('s1')).toMatchObject([{ type: 'health.bad', reason: 'ping failed: Connection closed' }]);
  });
});

describe('wedged event loop', () => {
  it('two ping timeouts while the process lives → WEDGED restart, within two intervals', async () => {
    const { clock, inbox, monitor, server, since } = setup({ overrides: { pingTimeoutMs: 500 } });
    server.next = 'hang';
    monitor.watch('s1');
    await clock.advance(2_600);
    const events = inbox.of('s1');
    expect(events.map((e) => [e.type, since(e.at)])).toEqual([
      ['health.bad', 1_500],
      ['health.restart', 2_500],
    ]);
    expect(events[0]).toMatchObject({ reason: 'ping timed out after 500 ms (pid 4242 alive)' });
    expect(events[1]).toMatchObject({
      code: 'WEDGED',
      reason: 'ping timed out 2 times in a row (500 ms each) while the process (pid 4242) is alive: its event loop is wedged',
    });
    // detection: the first unanswered ping went out at 1000; the restart came 1500 later (< 2 intervals)
    expect(since(events[1]!.at) - 1_000).toBeLessThan(2 * 1_000);
  });

  it('sends one restart per process, then starts over with the next session', async () => {
    const { clock, inbox, monitor, server, sessions } = setup({ overrides: { pingTimeoutMs: 500 } });
    server.next = 'hang';
    monitor.watch('s1');
    await clock.advance(10_000);
    expect(inbox.types('s1')).toEqual(['health.bad', 'health.restart']);
    expect(server.pings).toBe(2);
    expect(monitor.instanceHealth('s1')).toMatchObject({ restartRequested: 'WEDGED' });

    const fresh = new FakeServer(clock);
    sessions.set(fakeSession('s1', fresh, 5151));
    await clock.advance(1_000);
    expect(inbox.types('s1').slice(2)).toEqual(['health.good']);
    expect(monitor.instanceHealth('s1')).toMatchObject({ pid: 5151, restartRequested: null, reasons: [] });
  });

  it('ping timeouts with the process gone are bad, never WEDGED', async () => {
    const { clock, inbox, monitor, server, sampler } = setup({ overrides: { pingTimeoutMs: 500 } });
    server.next = 'hang';
    sampler.alive = false;
    monitor.watch('s1');
    await clock.advance(5_000);
    expect(inbox.types('s1')).toEqual(Array(4).fill('health.bad'));
    expect(inbox.of('s1')[0]).toMatchObject({ reason: 'ping timed out after 500 ms (pid 4242 gone)' });
  });

  it('only consecutive timeouts count', async () => {
    const { clock, inbox, monitor, server } = setup({ overrides: { pingTimeoutMs: 500 } });
    monitor.watch('s1');
    for (const pong of ['hang', 'ok', 'hang', { error: 'boom' }, 'hang'] as Pong[]) {
      server.next = pong;
      await clock.advance(1_000);
    }
    await clock.advance(500);
    expect(inbox.types('s1')).not.toContain('health.restart');
    expect(inbox.types('s1')).toEqual(['health.bad', 'health.good', 'health.bad', 'health.bad', 'health.bad']);
  });

  it('a remote server (no pid) is never judged wedged', async () => {
    const { clock, inbox, monitor, sessions } = setup({ overrides: { pingTimeoutMs: 500 } });
    const remote = new FakeServer(clock);
    remote.next = 'hang';
    sessions.set(fakeSession('s1', remote, null));
    monitor.watch('s1');
    await clock.advance(4_000);
    expect(inbox.types('s1')).toEqual(Array(3).fill('health.bad'));
    expect(inbox.of('s1')[0]).toMatchObject({ reason: 'ping timed out after 500 ms' });
  });
});

describe('resource limits', () => {
  it('group memory over max_memory → MEMORY_LIMIT restart at once', async () => {
    const { clock, inbox, monitor, sampler } = setup({ config: { maxMemoryBytes: 100 * MiB } });
    sampler.usage = { pids: [4242, 4243, 4244], memoryBytes: 120 * MiB, cpuPercent: 0 };
    monitor.watch('s1');
    await clock.advance(5_000);
    expect(inbox.of('s1')).toMatchObject([
      { type: 'health.restart', code: 'MEMORY_LIMIT', reason: 'memory 120 MB (process group of 3) exceeds max_memory 100 MB' },
    ]);
  });

  it('memory close to max_memory is bad', async () => {
    const { clock, inbox, monitor, sampler } = setup({ config: { maxMemoryBytes: 100 * MiB } });
    sampler.usage = { pids: [4242], memoryBytes: 95 * MiB, cpuPercent: 0 };
    monitor.watch('s1');
    await clock.advance(1_000);
    expect(inbox.of('s1')).toMatchObject([{ type: 'health.bad', reason: 'memory 95 MB is 95% of max_memory 100 MB' }]);
  });

  it('cpu above max_cpu_percent for 3 samples in a row → CPU_LIMIT restart', async () => {
    const { clock, inbox, monitor, sampler } = setup({ config: { maxCpuPercent: 50 } });
    sampler.usage = { pids: [4242, 4243], memoryBytes: 10 * MiB, cpuPercent: 80 };
    monitor.watch('s1');
    await clock.advance(3_000);
    expect(inbox.of('s1')).toMatchObject([
      { type: 'health.bad', reason: 'cpu 80% (process group of 2) above max_cpu_percent 50%' },
      { type: 'health.bad' },
      {
        type: 'health.restart',
        code: 'CPU_LIMIT',
        reason: 'cpu 80% (process group of 2) above max_cpu_percent 50% for 3 samples in a row',
      },
    ]);
  });

  it('a dip below max_cpu_percent resets the count', async () => {
    const { clock, inbox, monitor, sampler } = setup({ config: { maxCpuPercent: 50 } });
    monitor.watch('s1');
    for (const cpu of [80, 80, 10, 80, 80]) {
      sampler.usage = { pids: [4242], memoryBytes: 10 * MiB, cpuPercent: cpu };
      await clock.advance(1_000);
    }
    expect(inbox.types('s1')).toEqual(['health.bad', 'health.bad', 'health.good', 'health.bad', 'health.bad']);
  });
});

describe('probes in the pool', () => {
  it('a remote server gets an HTTP reachability probe with its headers; a failure is a reason', async () => {
    const { clock, inbox, monitor, pool, sampler } = setup({
      config: { connectionType: 'http', url: 'http://127.0.0.1:9/mcp', headers: { authorization: 'Bearer t' } },
    });
    pool.answer = (task) =>
      Promise.resolve({ ok: false, kind: task.kind, latencyMs: 2, detail: 'answered with an HTML page (HTTP 200 text/html)', at: 0 });
    monitor.watch('s1');
    await clock.advance(1_000);
    expect(pool.tasks).toEqual([{ kind: 'http', url: 'http://127.0.0.1:9/mcp', headers: { authorization: 'Bearer t' }, timeoutMs: 1_000 }]);
    expect(inbox.of('s1')).toMatchObject([{ type: 'health.bad', reason: 'http probe: answered with an HTML page (HTTP 200 text/html)' }]);
    expect(monitor.instanceHealth('s1')?.lastProbe).toMatchObject({ kind: 'http', ok: false });
    // remote here means a pid-less session: nothing to sample
    expect(sampler.samples).toBe(1);
  });

  it('reachability can be switched off; a health command runs with the server cwd and env', async () => {
    const { clock, monitor, pool } = setup({
      config: { connectionType: 'http', url: 'http://127.0.0.1:9/mcp', cwd: '/srv', env: { A: '1' } },
      overrides: { reachability: false, command: { command: 'check-db', args: ['--quick'], timeoutMs: 200 } },
    });
    monitor.watch('s1');
    await clock.advance(1_000);
    expect(pool.tasks).toEqual([{ kind: 'command', command: 'check-db', args: ['--quick'], timeoutMs: 200, cwd: '/srv', env: { A: '1' } }]);
  });
});

describe('snapshot and trends', () => {
  it('latency last / ewma / p95, failure rate, probes and reasons', async () => {
    const { clock, monitor, server } = setup({ config: { healthCheckIntervalMs: 5_000 } });
    monitor.watch('s1');
    for (const delayMs of [10, 20, 30, 40]) {
      server.next = { delayMs };
      await clock.advance(5_000);
    }
    server.next = { error: 'Connection closed' };
    await clock.advance(5_000);
    const health = monitor.instanceHealth('s1')!;
    expect(health).toMatchObject({
      name: 's1',
      instance: 's1',
      pid: 4242,
      cpuPercent: 1,
      memoryBytes: 50 * MiB,
      processes: 1,
      reasons: ['ping failed: Connection closed'],
      lastProbe: { kind: 'ping', ok: false, detail: 'ping failed: Connection closed' },
      limits: { maxMemoryBytes: null, maxCpuPercent: null },
    });
    expect(health.latencyMs.last).toBe(40);
    expect(health.latencyMs.p95).toBe(40);
    // 10, then 0.2 weight for each newer value
    expect(health.latencyMs.ewma).toBeCloseTo(((10 * 0.8 + 20 * 0.2) * 0.8 + 30 * 0.2) * 0.8 + 40 * 0.2, 6);
    expect(health.trend).toMatchObject({ failureRate: 0.2, samples: 5, flagged: [] });
    expect(health.probes.map((p) => p.kind)).toEqual(['ping']);
    expect(monitor.snapshot('s1')).toEqual([health]);
    expect(monitor.snapshot('other')).toEqual([]);
    expect(monitor.instanceHealth('nope')).toBeUndefined();
  });

  it('flags a steady memory climb before it reaches max_memory', async () => {
    const { clock, inbox, monitor, sampler } = setup({ config: { maxMemoryBytes: 2048 * MiB } });
    monitor.watch('s1');
    const flags: string[][] = [];
    for (let i = 0; i < 8; i++) {
      sampler.usage = { pids: [4242], memoryBytes: (100 + 10 * i) * MiB, cpuPercent: 0 };
      await clock.advance(1_000);
      flags.push(monitor.instanceHealth('s1')!.trend.flagged);
    }
    // 10 MB per 1 s check = 600 MB/min; at 170 MB, 1878 MB to go: ~3 min
    expect(flags.slice(0, 7)).toEqual(Array(7).fill([]));
    expect(flags[7]).toEqual(['memory climbing 600 MB/min, reaches max_memory 2 GB in ~3 min']);
    expect(monitor.instanceHealth('s1')!.trend.memoryGrowthBytesPerMin).toBeCloseTo(600 * MiB, 0);
    // a flag is a warning for people, not a bad check
    expect(inbox.types('s1')).toEqual(Array(8).fill('health.good'));
  });

  it('does not flag flat or noisy memory', async () => {
    const { clock, monitor, sampler } = setup({ config: { maxMemoryBytes: 2048 * MiB } });
    monitor.watch('s1');
    for (let i = 0; i < 20; i++) {
      sampler.usage = { pids: [4242], memoryBytes: (i % 2 === 0 ? 100 : 160) * MiB, cpuPercent: 0 };
      await clock.advance(1_000);
    }
    expect(monitor.instanceHealth('s1')!.trend.flagged).toEqual([]);
  });
});
