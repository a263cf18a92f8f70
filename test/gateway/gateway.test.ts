/**
 * The gateway end to end: a real manager, real backends, real SDK clients over
 * Streamable HTTP on 127.0.0.1.
 */
import { serverOfInstance } from '../../machines/supervisor.machine.js';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { REPO, echoServer, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function boot(servers: string): Promise<Running & { url: string }> {
  const tmp = tempDir();
  const running = await runManager(writeConfig(tmp.dir, servers), join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(tmp.cleanup, () => running.manager.stop());
  return { ...running, url: running.manager.gatewayUrl! };
}

async function connect(url: string, setup?: (client: Client) => void): Promise<Client> {
  const client = new Client({ name: 'test', version: '1' }, { capabilities: { sampling: {} } });
  setup?.(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  cleanups.push(() => client.close());
  return client;
}

/** An instance's stderr lines (fixture tools announce themselves there): its server's log, tagged with the instance. */
const logOf = (m: Running, instance: string): string => {
  try {
    const text = readFileSync(join(m.manager.stateDir, 'logs', `${serverOfInstance(instance)}.log`), 'utf8');
    return text
      .split('\n')
      .filter((line) => line.includes(` [${instance}] `))
      .join('\n');
  } catch {
    return '';
  }
};

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe('catalog and names', () => {
  it('lists every server under its prefix and calls through', async () => {
    const m = await boot(echoServer('one') + echoServer('two'));
    await m.waitState('one', 'healthy');
    await m.waitState('two', 'healthy');
    const client = await connect(m.url);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['one__echo', 'two__echo', 'one__add']));
    expect(textOf(await client.callTool({ name: 'two__add', arguments: { a: 2, b: 3 } }))).toBe('5');
  });

  it('two servers with a colliding tool name are both callable', async () => {
    const m = await boot(echoServer('a', {}, 'prefix: ""') + echoServer('b', {}, 'prefix: ""'));
    const a = await m.waitState('a', 'healthy');
    const b = await m.waitState('b', 'healthy');
    const client = await connect(m.url);
    const pids = (await client.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith('pid'));
    expect(pids.sort()).toEqual(['pid', 'pid_2']);
    const answers = await Promise.all(pids.map(async (name) => textOf(await client.callTool({ name, arguments: {} }))));
    expect(answers.sort()).toEqual([String(a.pid), String(b.pid)].sort());
  });

  it('a 70-character name is shortened to 64 and still callable', async () => {
    const long = 'x'.repeat(60);
    const m = await boot(echoServer('longnames', { FIXTURE_TOOLS_PREFIX: long }));
    await m.waitState('longnames', 'healthy');
    const client = await connect(m.url);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    for (const name of tools) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    const add = tools.find(
      (n) => n.length === 64 && n.startsWith(`longnames__${long.slice(0, 20)}`) && !tools.includes(`longnames__${long}add`),
    );
    expect(add).toBeDefined();
    const results = await Promise.all(tools.map((name) => client.callTool({ name, arguments: { a: 1, b: 1 } }).catch(() => undefined)));
    expect(results.some((r) => r && !r.isError && textOf(r) === '2')).toBe(true);
  });
});

describe('control: capabilities and call', () => {
  it('shows public names and calls a tool by its own name through the routing', async () => {
    const m = await boot(echoServer('cap') + echoServer('other', {}, 'prefix: ""'));
    await m.waitState('cap', 'healthy');
    await m.waitState('other', 'healthy');
    const caps = await m.control.capabilities({ server: 'cap' });
    expect(caps.servers).toHaveLength(1);
    const entry = caps.servers[0]!;
    expect(entry).toMatchObject({ name: 'cap', state: 'healthy', serverInfo: { name: 'fixture-echo' } });
    expect(entry.tools).toContainEqual(expect.objectContaining({ name: 'add', publicName: 'cap__add', readOnly: false }));
    expect(entry.tools).toContainEqual(expect.objectContaining({ name: 'peek', publicName: 'cap__peek', readOnly: true }));
    const all = await m.control.capabilities();
    expect(all.servers.map((s) => s.name)).toEqual(['cap', 'other']);
    expect(all.servers[1]!.tools).toContainEqual(expect.objectContaining({ name: 'echo', publicName: 'echo' }));
    expect(await m.control.callTool('cap', 'add', { a: 20, b: 22 })).toMatchObject({ content: [{ type: 'text', text: '42' }] });
    await expect(m.control.callTool('cap', 'nope', {})).rejects.toMatchObject({ code: 'TOOL_NOT_FOUND' });
    await expect(m.control.capabilities({ server: 'ghost' })).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' });
  });
});

describe('failover and restarts', () => {
  const replicated = (name: string, extra = '') =>
    echoServer(name, {}, `replicas: 2\nload_balancing: round_robin\nmax_restarts: 10${extra ? `\n${extra}` : ''}`);

  it('a backend killed mid-call with replicas 2: a read-only call succeeds, a non-idempotent one fails clearly', async () => {
    const m = await boot(replicated('rep'));
    const status = await m.waitState('rep', (s) => s.instances?.every((i) => i.state === 'healthy') === true);
    const client = await connect(m.url);
    // round robin over sorted instances: the first call goes to rep#1
    const first = status.instances!.find((i) => i.name === 'rep#1')!;
    const safe = client.callTool({ name: 'rep__peek', arguments: { ms: 1500 } });
    await waitFor(() => logOf(m, 'rep#1').includes(`tool peek start pid=${first.pid}`), { what: 'the call to reach rep#1' });
    process.kill(first.pid!, 'SIGKILL');
    const answer = textOf(await safe);
    const second = status.instances!.find((i) => i.name === 'rep#2')!;
    expect(answer).toBe(`pid=${second.pid}`);

    await m.waitState('rep', (s) => s.instances?.every((i) => i.state === 'healthy') === true);
    const now = (await m.server('rep')).instances!;
    const calls = [0, 1].map(() => client.callTool({ name: 'rep__sleep', arguments: { ms: 1500 } }).then(textOf, (e: Error) => e));
    await waitFor(() => now.every((i) => logOf(m, i.name).includes(`tool sleep start pid=${i.pid}`)), { what: 'both calls in flight' });
    for (const i of now) process.kill(i.pid!, 'SIGKILL');
    const outcomes = await Promise.all(calls);
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toMatch(/went away during the call to "sleep"; not retried/);
    }
  });

  it('calls to a restarting server wait for it to come back', async () => {
    const m = await boot(echoServer('phoenix'));
    const before = await m.waitState('phoenix', 'healthy');
    const client = await connect(m.url);
    process.kill(before.pid!, 'SIGKILL');
    await waitFor(() => !isAlive(before.pid!));
    // listed while it restarts, and the call lands on the new process
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('phoenix__pid');
    // (a read-only tool: whether the first try reached the dying process or not, it may be repeated)
    const pid = Number(textOf(await client.callTool({ name: 'phoenix__peek', arguments: {} })).replace('pid=', ''));
    expect(pid).not.toBe(before.pid);
    expect(isAlive(pid)).toBe(true);
  });

  it('a server that ends failed drops out of the catalog with list_changed; calls to its tools get the reason', async () => {
    const m = await boot(echoServer('stays') + echoServer('doomed', { FIXTURE_CRASH_ON_TOOL: '1' }, 'restart: temporary'));
    await m.waitState('doomed', 'healthy');
    await m.waitState('stays', 'healthy');
    let changed = 0;
    const client = await connect(m.url, (c) => c.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('doomed__echo');
    await client.callTool({ name: 'doomed__crash', arguments: {} }).catch(() => undefined);
    await m.waitState('doomed', 'failed');
    await waitFor(() => changed > 0, { what: 'tools/list_changed' });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.some((n) => n.startsWith('doomed__'))).toBe(false);
    expect(names).toContain('stays__echo');
    // the caller learns why, not "unknown tool"
    const call = client.callTool({ name: 'doomed__echo', arguments: { text: 'x' } });
    await expect(call).rejects.toThrow(/tool "doomed__echo" is unavailable: server "doomed" failed: SERVER_EXITED/);
    await expect(client.callTool({ name: 'never__there', arguments: {} })).rejects.toThrow(/unknown tool/);
  });
});

describe('concurrency', () => {
  it('100 concurrent calls with max_concurrent_requests 4 never exceed 4 in flight', async () => {
    const m = await boot(echoServer('narrow', {}, 'max_concurrent_requests: 4'));
    await m.waitState('narrow', 'healthy');
    const client = await connect(m.url);
    const results = await Promise.all(
      Array.from({ length: 100 }, () => client.callTool({ name: 'narrow__sleep', arguments: { ms: 20 } }).then(textOf)),
    );
    const maxima = results.map((r) => Number(/max=(\d+)/.exec(r)![1]));
    expect(Math.max(...maxima)).toBe(4);
  });
});

describe('protocol parity', () => {
  it('sampling from a backend reaches the client that made the call', async () => {
    const fixture = join(REPO, 'test/fixtures/servers/conformance.mjs');
    const m = await boot(
      `  conf:\n    command: ${process.execPath}\n    args: ["${fixture}", "stdio"]\n    prefix: ""\n    client_capabilities: { sampling: true }\n`,
    );
    await m.waitState('conf', 'healthy');
    const asked: string[] = [];
    const client = await connect(m.url, (c) =>
      c.setRequestHandler(CreateMessageRequestSchema, (request) => {
        asked.push(JSON.stringify(request.params.messages));
        return { role: 'assistant', content: { type: 'text', text: 'sampled answer' }, model: 'test-model' };
      }),
    );
    const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hello from the test' } });
    expect(asked.join()).toContain('hello from the test');
    expect(JSON.stringify(result.content)).toContain('sampled answer');
  });

  it('an unknown session is 404, also after the manager restarts', async () => {
    const m = await boot(echoServer('e'));
    await m.waitState('e', 'healthy');
    const client = await connect(m.url);
    const transport = client.transport as StreamableHTTPClientTransport;
    const sessionId = transport.sessionId!;
    const post = (url: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    expect((await post(m.url)).status).toBe(200);
    const port = new URL(m.url).port;
    await m.manager.stop();
    const tmp = tempDir();
    const again = await runManager(writeConfig(tmp.dir, echoServer('e')), join(tmp.dir, 'state'), {
      http: { host: '127.0.0.1', port: Number(port) },
    });
    cleanups.push(tmp.cleanup, () => again.manager.stop());
    expect((await post(again.manager.gatewayUrl!)).status).toBe(404);
  });
});
