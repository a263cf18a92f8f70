/**
 * The monitor against real sessions: fixture MCP servers over our stdio transport and the
 * SDK client (wedged event loop, memory leak in a process group), remote-like sessions
 * over an in-memory pair probed in the real pool against loopback targets.
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config/types.js';
import { startHealthMonitor, type HealthMonitor } from '../../src/health/monitor.js';
import type { HealthOverrides, InstanceHealth } from '../../src/health/types.js';
import { silentLogger } from '../../src/logger.js';
import { createProbePool, type ProbePool } from '../../src/probes/pool.js';
import type { ProcessTransport } from '../../src/transports/process-transport.js';
import { SessionRegistry, type Session } from '../../src/server-actor/session.js';
import { isAlive, pidFromLines, waitFor } from '../helpers/processes.js';
import { closedPort, startHttpTarget, type HttpTarget } from '../probes/targets.js';
import { FixtureRun } from '../transports/fixture-transport.js';
import { Inbox, serverConfig, sessionOf } from './helpers.js';

const WEDGE = fileURLToPath(new URL('../fixtures/servers/health-wedge.mjs', import.meta.url));
const LEAK = fileURLToPath(new URL('../fixtures/servers/health-leak.mjs', import.meta.url));
const MiB = 1024 * 1024;

let run: FixtureRun;
let sessions: SessionRegistry;
let inbox: Inbox;
let monitor: HealthMonitor | undefined;
const configs = new Map<string, ServerConfig>();
const overrides = new Map<string, HealthOverrides>();

beforeEach(() => {
  run = new FixtureRun();
  sessions = new SessionRegistry();
  inbox = new Inbox();
  configs.clear();
  overrides.clear();
});

afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
  run.cleanup();
});

function startMonitor(pool?: ProbePool, onSend?: () => void): HealthMonitor {
  monitor = startHealthMonitor({
    sessions,
    configOf: (name) => configs.get(name),
    overridesOf: (name) => overrides.get(name),
    send: (event) => {
      inbox.send(event);
      onSend?.();
    },
    logger: silentLogger(),
    ...(pool ? { pool } : {}),
  });
  return monitor;
}

async function stdioSession(instance: string, script: string, env: Record<string, string> = {}): Promise<Session> {
  const transport = run.transport(script, env);
  const client = await run.client(transport);
  const session = sessionOf(instance, instance, transport, client);
  sessions.set(session);
  return session;
}

describe('a wedged server (real process)', () => {
  it('is restarted as WEDGED after two ping timeouts in a row of its event loop blocking, and only once', async () => {
    const intervalMs = 300;
    const pingTimeoutMs = 250;
    configs.set('wedge', serverConfig('wedge', { healthCheckIntervalMs: intervalMs }));
    overrides.set('wedge', { pingTimeoutMs });
    const session = await stdioSession('wedge', WEDGE);
    const pid = session.transport.pid!;
    // a healthy neighbour on the same monitor: its checks show the monitor's clock going on
    configs.set('steady', serverConfig('steady', { healthCheckIntervalMs: intervalMs }));
    await stdioSession('steady', WEDGE);
    const health = startMonitor();
    health.watch('wedge');
    health.watch('steady');

    await waitFor(() => inbox.types('wedge').filter((t) => t === 'health.good').length >= 2, {
      timeoutMs: 15_000,
      what: 'two good checks',
    });
    await session.client.callTool({ name: 'wedge' });
    const wedgedAt = await waitFor(() => pidFromLines(session.transport.stderrTail(), 'wedged-at'), { what: 'wedged-at= on stderr' });
    const restart = await waitFor(() => inbox.of('wedge').find((e) => e.type === 'health.restart'), {
      timeoutMs: 15_000,
      what: 'health.restart',
    });

    expect(restart).toMatchObject({
      code: 'WEDGED',
      reason: `ping timed out 2 times in a row (${pingTimeoutMs} ms each) while the process (pid ${pid}) is alive: its event loop is wedged`,
    });
    // blocked at w: the checks after it are the two timed-out pings, then the restart
    expect(restart.at).toBeGreaterThan(wedgedAt);
    const events = inbox.of('wedge');
    const beforeRestart = events.slice(0, events.indexOf(restart));
    const timedOut = { type: 'health.bad', reason: `ping timed out after ${pingTimeoutMs} ms (pid ${pid} alive)` };
    // the first timeout is reported bad, the second in a row is the restart
    expect(beforeRestart.filter((e) => e.type !== 'health.good')).toMatchObject([timedOut]);
    expect(beforeRestart.at(-1)).toMatchObject(timedOut);
    expect(beforeRestart.filter((e) => e.at < wedgedAt).every((e) => e.type === 'health.good')).toBe(true);

    // one restart for this process, however long it stays wedged: four more checks of the
    // neighbour go by without another word about it
    const sent = inbox.of('wedge').length;
    const steadyChecks = inbox.types('steady').length;
    await waitFor(() => inbox.types('steady').length >= steadyChecks + 4, { timeoutMs: 15_000, what: 'four more checks of the neighbour' });
    expect(inbox.of('wedge').length).toBe(sent);
    expect(health.instanceHealth('wedge')).toMatchObject({ restartRequested: 'WEDGED', lastProbe: { kind: 'ping', ok: false } });
    // the monitor only asks; stopping the process is the supervisor's job
    expect(isAlive(pid)).toBe(true);
  });
});

describe('a leaking server (real process group)', () => {
  it('flags the climb before max_memory, then restarts it as MEMORY_LIMIT', async () => {
    const maxMemoryBytes = 300 * MiB;
    configs.set('leak', serverConfig('leak', { healthCheckIntervalMs: 200, maxMemoryBytes }));
    // this test is about memory: a busy machine's slow pings must not end it as WEDGED
    overrides.set('leak', { wedgedAfterTimeouts: 1_000 });
    await stdioSession('leak', LEAK, {
      FIXTURE_LEAK_CHILD_BYTES: String(30 * MiB),
      FIXTURE_LEAK_BYTES: String(2 * MiB),
      FIXTURE_LEAK_EVERY_MS: '50',
    });
    const seen: InstanceHealth[] = [];
    const health = startMonitor(undefined, () => {
      const now = monitor?.instanceHealth('leak');
      if (now) seen.push(now);
    });
    health.watch('leak');

    const restart = await waitFor(() => inbox.of('leak').find((e) => e.type === 'health.restart'), {
      timeoutMs: 30_000,
      what: 'health.restart',
    });
    expect(restart).toMatchObject({ code: 'MEMORY_LIMIT' });
    expect((restart as { reason: string }).reason).toMatch(/^memory \d+ MB \(process group of 2\) exceeds max_memory 300 MB$/);

    const firstFlag = seen.find((h) => h.trend.flagged.length > 0);
    expect(firstFlag, 'the climb was flagged before the restart').toBeDefined();
    expect(firstFlag!.memoryBytes!).toBeLessThan(maxMemoryBytes);
    expect(firstFlag!.trend.flagged[0]).toMatch(/^memory climbing [\d.]+ [MG]B\/min, reaches max_memory 300 MB in ~\d+ (s|min)$/);
    expect(firstFlag!.trend.memoryGrowthBytesPerMin!).toBeGreaterThan(0);
    expect(firstFlag!.processes).toBe(2);
    expect(seen.at(-1)).toMatchObject({ restartRequested: 'MEMORY_LIMIT', limits: { maxMemoryBytes } });
  });
});

describe('bad probe input (real pool, loopback targets)', () => {
  let pool: ProbePool;
  let target: HttpTarget;
  let refused: number;

  beforeAll(async () => {
    pool = createProbePool();
    [target, refused] = await Promise.all([startHttpTarget(), closedPort()]);
  });
  afterAll(async () => {
    await Promise.all([pool.close(), target.close()]);
  });

  /** A pid-less session (as a remote server's) to an in-process MCP server. */
  async function remoteLikeSession(instance: string): Promise<Session> {
    const server = new McpServer({ name: 'remote-like', version: '1.0.0' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const transport = Object.assign(clientSide, { pid: null, running: true, exited: new Promise(() => undefined), stderrTail: () => [] });
    const client = new Client({ name: 'health-test', version: '1.0.0' });
    await client.connect(transport);
    const session = sessionOf(instance, instance, transport as unknown as ProcessTransport, client);
    sessions.set(session);
    return session;
  }

  it('an HTML page, a refused connection, a missing command: clear reasons, nothing crashes', async () => {
    configs.set('html', serverConfig('html', { connectionType: 'http', url: target.url('/html'), healthCheckIntervalMs: 1_000 }));
    configs.set(
      'refused',
      serverConfig('refused', { connectionType: 'sse', url: `http://127.0.0.1:${refused}/sse`, healthCheckIntervalMs: 1_000 }),
    );
    configs.set('nocmd', serverConfig('nocmd', { connectionType: 'http', url: target.url('/json'), healthCheckIntervalMs: 1_000 }));
    overrides.set('nocmd', { command: { command: '/nonexistent/health-check' } });
    await Promise.all(['html', 'refused', 'nocmd'].map((name) => remoteLikeSession(name)));
    const health = startMonitor(pool);
    for (const name of ['html', 'refused', 'nocmd']) health.watch(name);

    await waitFor(() => ['html', 'refused', 'nocmd'].every((name) => inbox.of(name).length >= 2), {
      timeoutMs: 20_000,
      what: 'two checks each',
    });
    const expected: Record<string, string> = {
      html: 'http probe: answered with an HTML page (HTTP 200 text/html), not an MCP endpoint: check the url',
      refused: 'http probe: connection refused (ECONNREFUSED)',
      nocmd: 'command probe: command not found: /nonexistent/health-check (ENOENT)',
    };
    for (const [name, reason] of Object.entries(expected)) {
      // (on a busy machine a slow ping may add its own reason to a check)
      for (const event of inbox.of(name))
        expect(event).toMatchObject({ type: 'health.bad', reason: expect.stringContaining(reason) as unknown });
      const entry = health.instanceHealth(name)!;
      expect(entry.reasons).toContain(reason);
      expect(entry.pid).toBeNull();
      expect(entry.cpuPercent).toBeNull();
      expect(entry.latencyMs.last).not.toBeNull(); // the MCP ping itself answered
      expect(entry.probes.find((p) => p.kind === 'ping')?.ok).toBe(true);
    }
    expect(health.instanceHealth('nocmd')!.probes.find((p) => p.kind === 'http')?.ok).toBe(true);
    expect(
      health
        .snapshot()
        .map((h) => h.name)
        .sort(),
    ).toEqual(['html', 'nocmd', 'refused']);
  });
});
