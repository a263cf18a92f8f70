/**
 * What the README promises of routing, through a real gateway with real backends and real
 * SDK clients: the result cache and its single-flight, session affinity, the busy error
 * when the queue is full, queue_timeout, the failover exclude set, and one contract suite
 * that every balancing policy passes (plus what least_loaded adds).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LOAD_BALANCING } from '../../src/config/schema.js';
import { GATEWAY_ERROR_CODES } from '../../src/gateway/wire-errors.js';
import { waitFor } from '../helpers/processes.js';
import { echoServer, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

interface Booted extends Running {
  url: string;
  /** A path that, once written, lets every held `hold` call finish. */
  gate: () => string;
  open: (gate: string) => void;
}

async function boot(servers: string): Promise<Booted> {
  const tmp = tempDir();
  const running = await runManager(writeConfig(tmp.dir, servers), join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(tmp.cleanup, () => running.manager.stop());
  let gates = 0;
  return {
    ...running,
    url: running.manager.gatewayUrl!,
    gate: () => join(tmp.dir, `gate-${++gates}`),
    open: (gate) => writeFileSync(gate, ''),
  };
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  cleanups.push(() => client.close());
  return client;
}

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;
const pidOf = (text: string) => Number(/pid=(\d+)/.exec(text)?.[1]);

/** Lines of an instance's stderr log (the fixture announces each tool call there). */
/** An instance's lines in its server's log (one file per server, each line tagged with the instance). */
const logLines = (m: Running, instance: string): string[] => {
  const server = instance.replace(/[#~].*$/, '');
  try {
    return readFileSync(join(m.manager.stateDir, 'logs', `${server}.log`), 'utf8')
      .split('\n')
      .filter((line) => line.includes(` [${instance}] `));
  } catch {
    return [];
  }
};
const holdStarts = (m: Running, instance: string) => logLines(m, instance).filter((l) => l.includes('tool hold start')).length;

const allHealthy = (s: { instances?: { state: string }[] }) => s.instances?.every((i) => i.state === 'healthy') === true;

/** The JSON-RPC error a call was answered with. */
async function rpcError(call: Promise<unknown>): Promise<McpError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof McpError)) throw new Error(`expected a JSON-RPC error, got ${String(error)}`);
  return error;
}

describe('result cache', () => {
  it('identical calls in flight share one backend call; its result is served from the cache until the ttl ends', async () => {
    const m = await boot(echoServer('cached', {}, 'cache: { ttl: 0.5, tools: [hold] }'));
    await m.waitState('cached', 'healthy');
    const client = await connect(m.url);
    const gate = m.gate();
    const args = { until: gate };
    const calls = Array.from({ length: 5 }, () => client.callTool({ name: 'cached__hold', arguments: args }));
    await waitFor(() => holdStarts(m, 'cached') === 1 || undefined, { what: 'the first backend call' });
    m.open(gate);
    const answers = (await Promise.all(calls)).map(textOf);
    // single-flight: five callers, one backend call
    expect(new Set(answers)).toEqual(new Set([answers[0]]));
    expect(answers[0]).toMatch(/^n=1 /);
    expect(holdStarts(m, 'cached')).toBe(1);
    // a fresh result is served without a backend call; other arguments are another entry
    expect(textOf(await client.callTool({ name: 'cached__hold', arguments: args }))).toBe(answers[0]);
    expect(holdStarts(m, 'cached')).toBe(1);
    expect(textOf(await client.callTool({ name: 'cached__hold', arguments: { ...args, key: 'other' } }))).toMatch(/^n=2 /);
    // past the ttl the backend is asked again
    const later = await waitFor(
      async () => {
        const text = textOf(await client.callTool({ name: 'cached__hold', arguments: args }));
        return text === answers[0] ? undefined : text;
      },
      { what: 'the cached result to expire' },
    );
    expect(later).toMatch(/^n=3 /);
  });

  it('tools not listed under cache are never cached', async () => {
    const m = await boot(echoServer('uncached', {}, 'cache: { ttl: 30, tools: [echo] }'));
    await m.waitState('uncached', 'healthy');
    const client = await connect(m.url);
    const first = textOf(await client.callTool({ name: 'uncached__hold', arguments: {} }));
    const second = textOf(await client.callTool({ name: 'uncached__hold', arguments: {} }));
    expect([first, second].map((t) => t.split(' ')[0])).toEqual(['n=1', 'n=2']);
  });
});

describe('queueing', () => {
  it('a call past max_queued_requests fails at once as busy, naming the server', async () => {
    // no room to wait at all: while one call runs, the next is refused
    const m = await boot(echoServer('narrow', {}, 'max_concurrent_requests: 1\nmax_queued_requests: 0\nqueue_timeout: 60'));
    await m.waitState('narrow', 'healthy');
    const client = await connect(m.url);
    const gate = m.gate();
    const inFlight = client.callTool({ name: 'narrow__hold', arguments: { until: gate } });
    await waitFor(() => holdStarts(m, 'narrow') === 1 || undefined, { what: 'the first call to run' });
    const error = await rpcError(client.callTool({ name: 'narrow__hold', arguments: { key: 'second' } }));
    expect(error.code).toBe(GATEWAY_ERROR_CODES.SERVER_BUSY);
    expect(error.message).toMatch(/server "narrow" is busy: 0 requests already waiting/);
    // it never reached the backend; the running call is unaffected
    expect(holdStarts(m, 'narrow')).toBe(1);
    m.open(gate);
    expect(textOf(await inFlight)).toMatch(/^n=1 /);
    // with the slot free again, calls go through
    expect(textOf(await client.callTool({ name: 'narrow__hold', arguments: { key: 'later' } }))).toMatch(/^n=2 /);
  });

  it('a call that waits longer than queue_timeout fails with the reason; the busy one finishes', async () => {
    const m = await boot(echoServer('slow', {}, 'max_concurrent_requests: 1\nqueue_timeout: 0.3'));
    await m.waitState('slow', 'healthy');
    const client = await connect(m.url);
    const gate = m.gate();
    const inFlight = client.callTool({ name: 'slow__hold', arguments: { until: gate } });
    await waitFor(() => holdStarts(m, 'slow') === 1 || undefined, { what: 'the first call to run' });
    const error = await rpcError(client.callTool({ name: 'slow__hold', arguments: { key: 'waits' } }));
    expect(error.code).toBe(GATEWAY_ERROR_CODES.SERVER_UNAVAILABLE);
    expect(error.message).toMatch(/server "slow" did not take the request within 300 ms: every instance stayed busy/);
    // it never reached the backend
    expect(holdStarts(m, 'slow')).toBe(1);
    m.open(gate);
    expect(textOf(await inFlight)).toMatch(/^n=1 /);
  });
});

describe('while the manager stops', () => {
  it('a waiting call is answered at once that the manager is stopping, not after its queue_timeout', async () => {
    const m = await boot(echoServer('closing', {}, 'max_concurrent_requests: 1\nqueue_timeout: 3600'));
    await m.waitState('closing', 'healthy');
    const client = await connect(m.url);
    const inFlight = client.callTool({ name: 'closing__hold', arguments: { until: m.gate() } }).catch((error: unknown) => error);
    await waitFor(() => holdStarts(m, 'closing') === 1 || undefined, { what: 'the first call to run' });
    const waiting = rpcError(client.callTool({ name: 'closing__hold', arguments: { key: 'waits' } }));
    const queued = async () =>
      (await (await fetch(new URL('/metrics', m.url))).text()).includes('mcp_manager_queued_requests{server="closing"} 1');
    await waitFor(async () => (await queued()) || undefined, { what: 'the second call to queue' });
    const stopped = m.manager.stop();
    const error = await waiting;
    expect(error.code).toBe(GATEWAY_ERROR_CODES.SERVER_UNAVAILABLE);
    expect(error.message).toMatch(/server "closing" cannot take requests: the manager is stopping/);
    expect(holdStarts(m, 'closing')).toBe(1);
    await stopped;
    await inFlight;
  });
});

describe('session affinity', () => {
  it('pins each client session to one instance; without it calls spread', async () => {
    const m = await boot(echoServer('pinned', {}, 'replicas: 3\nsession_affinity: true') + echoServer('spread', {}, 'replicas: 3'));
    await m.waitState('pinned', allHealthy);
    await m.waitState('spread', allHealthy);
    const pidsOf = async (client: Client, server: string) => {
      const pids = new Set<number>();
      for (let i = 0; i < 6; i++) pids.add(pidOf(textOf(await client.callTool({ name: `${server}__peek`, arguments: {} }))));
      return pids;
    };
    const a = await connect(m.url);
    const b = await connect(m.url);
    const aPids = await pidsOf(a, 'pinned');
    const bPids = await pidsOf(b, 'pinned');
    expect(aPids.size).toBe(1);
    expect(bPids.size).toBe(1);
    // interleaved calls of two sessions stay where they were pinned
    for (let i = 0; i < 3; i++) {
      expect(pidOf(textOf(await b.callTool({ name: 'pinned__peek', arguments: {} })))).toBe([...bPids][0]);
      expect(pidOf(textOf(await a.callTool({ name: 'pinned__peek', arguments: {} })))).toBe([...aPids][0]);
    }
    expect((await pidsOf(a, 'spread')).size).toBe(3);
  });
});

describe('failover exclude set', () => {
  it('a safe call retried after its instance died never goes back to an instance it tried, even one that came back', async () => {
    const m = await boot(echoServer('rep', {}, 'replicas: 3\nmax_restarts: 10'));
    const status = await m.waitState('rep', allHealthy);
    const client = await connect(m.url);
    const gate = m.gate();
    const call = client.callTool({ name: 'rep__hold', arguments: { until: gate } });
    const runningOn = (exclude: Set<string>) =>
      waitFor(() => status.instances!.map((i) => i.name).find((name) => !exclude.has(name) && holdStarts(m, name) > 0), {
        what: 'the call to start on an instance',
      });
    const pidNow = async (name: string) => (await m.server('rep')).instances!.find((i) => i.name === name)!.pid!;

    const first = await runningOn(new Set());
    process.kill(await pidNow(first), 'SIGKILL');
    // the retry runs elsewhere; the first instance comes back meanwhile
    const second = await runningOn(new Set([first]));
    await m.waitState('rep', (s) => s.instances!.find((i) => i.name === first)?.state === 'healthy' && allHealthy(s));
    process.kill(await pidNow(second), 'SIGKILL');
    const third = await runningOn(new Set([first, second]));
    m.open(gate);
    const answer = textOf(await call);
    expect(new Set([first, second, third]).size).toBe(3);
    expect(pidOf(answer)).toBe(await pidNow(third));
    // the instance that came back was never asked again
    expect(holdStarts(m, first)).toBe(1);
  });
});

// One contract, every balancing policy: the same tests run against each through the gateway.
describe.each(LOAD_BALANCING)('balancing contract through the gateway: %s', (policy) => {
  const server = (extra = '') => echoServer('pool', {}, `replicas: 3\nload_balancing: ${policy}${extra ? `\n${extra}` : ''}`);

  it('spreads sequential calls over every instance', async () => {
    const m = await boot(server());
    const status = await m.waitState('pool', allHealthy);
    const client = await connect(m.url);
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) pids.add(pidOf(textOf(await client.callTool({ name: 'pool__peek', arguments: {} }))));
    expect([...pids].sort()).toEqual(status.instances!.map((i) => i.pid!).sort());
  });

  it('never puts more than max_concurrent_requests on one instance: held calls fill every instance', async () => {
    const m = await boot(server('max_concurrent_requests: 1\nqueue_timeout: 60'));
    const status = await m.waitState('pool', allHealthy);
    const client = await connect(m.url);
    const gate = m.gate();
    const calls = Array.from({ length: 4 }, (_, i) => client.callTool({ name: 'pool__hold', arguments: { until: gate, key: String(i) } }));
    const names = status.instances!.map((i) => i.name);
    await waitFor(() => names.every((name) => holdStarts(m, name) === 1) || undefined, { what: 'one call on each instance' });
    // the fourth waits in the gateway
    expect(names.map((name) => holdStarts(m, name))).toEqual([1, 1, 1]);
    m.open(gate);
    const answers = (await Promise.all(calls)).map(textOf);
    expect(new Set(answers.map(pidOf)).size).toBe(3);
    // three first calls, one per instance, then the one that waited ran second somewhere
    expect(answers.map((t) => t.split(' ')[0]).sort()).toEqual(['n=1', 'n=1', 'n=1', 'n=2']);
  });

  it('routes around an instance that is down', async () => {
    // no restart budget: the killed instance ends failed and stays down
    const m = await boot(server('max_restarts: 0'));
    const status = await m.waitState('pool', allHealthy);
    const down = status.instances![0]!;
    process.kill(down.pid!, 'SIGKILL');
    await m.waitState('pool', (s) => s.instances!.find((i) => i.name === down.name)?.state === 'failed');
    const client = await connect(m.url);
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) pids.add(pidOf(textOf(await client.callTool({ name: 'pool__peek', arguments: {} }))));
    expect([...pids].sort()).toEqual(
      status
        .instances!.slice(1)
        .map((i) => i.pid!)
        .sort(),
    );
  });
});

describe('least_loaded through the gateway', () => {
  it('sends new calls to the idle instance while the other is busy (round robin would alternate)', async () => {
    const m = await boot(echoServer('ll', {}, 'replicas: 2\nload_balancing: least_loaded'));
    const status = await m.waitState('ll', allHealthy);
    const client = await connect(m.url);
    const gate = m.gate();
    const held = client.callTool({ name: 'll__hold', arguments: { until: gate } });
    const names = status.instances!.map((i) => i.name);
    const busy = await waitFor(() => names.find((name) => holdStarts(m, name) === 1), { what: 'the held call to start' });
    const idle = status.instances!.find((i) => i.name !== busy)!;
    for (let i = 0; i < 4; i++) expect(pidOf(textOf(await client.callTool({ name: 'll__peek', arguments: {} })))).toBe(idle.pid);
    m.open(gate);
    expect(pidOf(textOf(await held))).toBe(status.instances!.find((i) => i.name === busy)!.pid);
  });
});

describe('`call` from the CLI takes the same path as a client', () => {
  it('shares the result cache with clients', async () => {
    const m = await boot(echoServer('cached', {}, 'cache: { ttl: 600, tools: [hold] }'));
    await m.waitState('cached', 'healthy');
    const client = await connect(m.url);
    const viaClient = textOf(await client.callTool({ name: 'cached__hold', arguments: {} }));
    expect(viaClient).toMatch(/^n=1 /);
    // the control API's call (what `mcp-manager call` sends) is answered from the same cache
    expect(textOf(await m.control.callTool('cached', 'hold', {}))).toBe(viaClient);
    // the backend's log line may reach its file after the answer: wait for it, then count
    await waitFor(() => holdStarts(m, 'cached') >= 1 || undefined, { what: 'the first backend call in the log' });
    expect(holdStarts(m, 'cached')).toBe(1);
    // and a call it made first serves clients
    const viaCli = textOf(await m.control.callTool('cached', 'hold', { key: 'cli' }));
    expect(viaCli).toMatch(/^n=2 /);
    expect(textOf(await client.callTool({ name: 'cached__hold', arguments: { key: 'cli' } }))).toBe(viaCli);
    await waitFor(() => holdStarts(m, 'cached') >= 2 || undefined, { what: 'the second backend call in the log' });
    expect(holdStarts(m, 'cached')).toBe(2);
  });

  it('fails over to another instance when the one running it dies (a safe tool)', async () => {
    const m = await boot(echoServer('rep', {}, 'replicas: 2\nmax_restarts: 10'));
    const status = await m.waitState('rep', allHealthy);
    const gate = m.gate();
    const call = m.control.callTool('rep', 'hold', { until: gate });
    const names = status.instances!.map((i) => i.name);
    const first = await waitFor(() => names.find((name) => holdStarts(m, name) > 0), { what: 'the call to start on an instance' });
    process.kill((await m.server('rep')).instances!.find((i) => i.name === first)!.pid!, 'SIGKILL');
    const second = await waitFor(() => names.find((name) => name !== first && holdStarts(m, name) > 0), {
      what: 'the retry to start elsewhere',
    });
    m.open(gate);
    const answer = textOf(await call);
    expect(pidOf(answer)).toBe((await m.server('rep')).instances!.find((i) => i.name === second)!.pid);
  });

  it('names a tool the server lacks, and a server that is down', async () => {
    const m = await boot(echoServer('echo') + echoServer('broken', { FIXTURE_EXIT_ON_START: '3' }, 'max_restarts: 0'));
    await m.waitState('echo', 'healthy');
    await m.waitState('broken', 'failed');
    await expect(m.control.callTool('echo', 'nope', {})).rejects.toMatchObject({
      code: 'TOOL_NOT_FOUND',
      message: 'server "echo" has no tool "nope"',
    });
    await expect(m.control.callTool('broken', 'echo', {})).rejects.toMatchObject({
      code: 'SERVER_UNAVAILABLE',
      message: expect.stringContaining('server "broken"'),
    });
  });
});
