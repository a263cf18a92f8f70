/**
 * Bad client messages against the real manager: tool arguments nested 10,000 deep over
 * HTTP, and a 20 MB line on the stdio endpoint. Each gets a clear JSON-RPC error, the
 * manager keeps serving (and answers /healthz meanwhile), and stops cleanly when told.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../helpers/processes.js';
import { CLI, echoServer, tempDir, writeConfig } from '../supervisor/harness.js';
import { healthz, killLeftovers, rssOf, startCliManager, type CliManager } from './harness.js';

let manager: CliManager | undefined;
const cleanups: (() => void)[] = [];
afterEach(() => {
  killLeftovers(manager);
  manager = undefined;
  for (const c of cleanups.splice(0)) c();
});

const deepArgs = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

async function post(url: string, body: string, session?: string): Promise<{ status: number; text: string; session: string | null }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body,
  });
  return { status: res.status, text: await res.text(), session: res.headers.get('mcp-session-id') };
}

describe('tool arguments nested 10,000 deep', () => {
  it('get an Invalid params error naming where, and the manager keeps serving', { timeout: 180_000 }, async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    manager = await startCliManager({ config: writeConfig(tmp.dir, echoServer('echo')), stateDir: join(tmp.dir, 'state'), http: true });
    const m = manager;
    await waitFor(async () => (await m.status()).servers[0]?.state === 'healthy', { timeoutMs: 20_000, what: 'echo healthy' });
    const url = m.url!;
    const init = await post(
      url,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    );
    const session = init.session!;
    await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), session);

    const rssBefore = rssOf(m.pid);
    const pending = post(
      url,
      `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo__echo","arguments":${deepArgs(10_000)}}}`,
      session,
    );
    expect(await healthz(url)).toBe(200);
    const deep = await pending;
    expect(deep.status).toBe(400);
    const reply = JSON.parse(deep.text) as { id: unknown; error: { code: number; message: string } };
    expect(reply.id).toBe(7);
    expect(reply.error.code).toBe(-32602);
    expect(reply.error.message).toMatch(/nested deeper than 128 levels at params\.arguments\.a\.a.*…? \(tools\/call\)/);
    expect(reply.error.message).not.toMatch(/call stack/);

    const ok = await post(
      url,
      JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'echo__echo', arguments: { text: 'still here' } } }),
      session,
    );
    expect(ok.text).toContain('still here');
    // the CLI path: `call --args` with the same nesting is refused as a usage error
    const cli = spawn(process.execPath, [CLI, 'call', 'echo', 'echo', '--args', deepArgs(10_000), '--state-dir', m.stateDir], {
      stdio: 'pipe',
    });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--args is nested deeper than 125 levels at a\.a\.a/);
    expect(stderr).not.toMatch(/call stack/);
    await waitFor(() => rssOf(m.pid) <= rssBefore * 1.2, { timeoutMs: 60_000, intervalMs: 250, what: 'RSS back within 20 %' });

    const children = m.descendants();
    expect(await m.stop()).toBe(0);
    expect(children.filter(isAlive)).toEqual([]);
  });
});

describe('a 20 MB line on the stdio endpoint', () => {
  it('is dropped with a JSON-RPC error; the manager keeps serving and says why it stops', { timeout: 180_000 }, async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    manager = await startCliManager({
      config: writeConfig(tmp.dir, echoServer('echo')),
      stateDir: join(tmp.dir, 'state'),
      stdio: true,
      http: true,
    });
    const m = manager;
    const replies: Record<string, unknown>[] = [];
    let partial = '';
    m.child.stdout.setEncoding('utf8');
    m.child.stdout.on('data', (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) replies.push(JSON.parse(line) as Record<string, unknown>);
    });
    const send = (message: unknown) => m.child.stdin.write(`${JSON.stringify(message)}\n`);
    const reply = (id: number) => waitFor(() => replies.find((r) => r.id === id), { timeoutMs: 20_000, what: `reply ${id}` });

    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    await reply(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await waitFor(async () => (await m.status()).servers[0]?.state === 'healthy', { timeoutMs: 20_000, what: 'echo healthy' });
    const rssBefore = rssOf(m.pid);

    // 20 MB in one line, written in pieces while /healthz is asked
    const big = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo__echo","arguments":{"text":"${'x'.repeat(20 * 1024 * 1024)}"}}}\n`;
    const written = new Promise<void>((resolve) => m.child.stdin.write(big, () => resolve()));
    expect(await healthz(m.url!)).toBe(200);
    await written;
    const dropped = await waitFor(() => replies.find((r) => r.id === null), {
      timeoutMs: 20_000,
      what: 'the error for the oversized line',
    });
    expect(dropped).toMatchObject({
      error: { code: -32600, message: expect.stringMatching(/larger than 4194304 bytes dropped/) as unknown },
    });

    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo__echo', arguments: { text: 'after' } } });
    expect(JSON.stringify(await reply(3))).toContain('after');
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'echo__echo', arguments: JSON.parse(deepArgs(300)) as unknown } });
    expect(await reply(4)).toMatchObject({
      error: { code: -32602, message: expect.stringMatching(/nested deeper than 128 levels at params\.arguments\.a/) as unknown },
    });
    expect((await m.status()).servers[0]?.state).toBe('healthy');
    await waitFor(() => rssOf(m.pid) <= rssBefore * 1.2, { timeoutMs: 60_000, intervalMs: 250, what: 'RSS back within 20 %' });

    // the client goes away: the manager stops, and its log says why
    const children = m.descendants();
    m.child.stdin.end();
    expect(await m.exited).toBe(0);
    expect(m.log().some((l) => l.includes('stopping (the stdio client went away (stdin ended))'))).toBe(true);
    expect(children.filter(isAlive)).toEqual([]);
  });
});
