/**
 * Hot reload without downtime: real manager, real backends, a client calling all along.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { waitFor } from '../helpers/processes.js';
import { echoServer, runManager, tempDir, writeConfig, type Running } from './harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Call `tool` back to back until stopped; count outcomes. */
function keepCalling(client: Client, tool: string) {
  const outcomes = { ok: 0, failed: [] as string[], answers: new Set<string>() };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const result = (await client.callTool({ name: tool, arguments: {} })) as CallToolResult;
        if (result.isError) outcomes.failed.push(JSON.stringify(result.content));
        else {
          outcomes.ok++;
          outcomes.answers.add((result.content[0] as { text: string }).text);
        }
      } catch (error) {
        outcomes.failed.push(String(error));
      }
    }
  })();
  return {
    outcomes,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('reload', () => {
  async function boot(servers: string): Promise<Running & { config: string; dir: string; client: Client }> {
    const tmp = tempDir();
    const config = writeConfig(tmp.dir, servers);
    const running = await runManager(config, join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
    cleanups.push(tmp.cleanup, () => running.manager.stop());
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(running.manager.gatewayUrl!)));
    cleanups.push(() => client.close());
    return { ...running, config, dir: tmp.dir, client };
  }

  it('adds, removes and changes servers while calls to an unchanged one never fail', async () => {
    const m = await boot(echoServer('steady') + echoServer('leaving') + echoServer('edited'));
    for (const n of ['steady', 'leaving', 'edited']) await m.waitState(n, 'healthy');
    const steadyPid = (await m.server('steady')).pid;
    const editedPid = (await m.server('edited')).pid;
    const calls = keepCalling(m.client, 'steady__pid');
    await waitFor(() => calls.outcomes.ok >= 5);

    writeConfig(m.dir, echoServer('steady') + echoServer('edited', { EDITED: '1' }) + echoServer('arriving'));
    const report = await m.control.reload();
    expect(report).toMatchObject({ ok: true, added: ['arriving'], removed: ['leaving'], changed: ['edited'] });
    await m.waitState('arriving', 'healthy');
    // the edited server switches over once its new instance is ready
    await m.waitState('edited', (s) => s.state === 'healthy' && s.pid !== editedPid);
    await waitFor(async () => (await m.status()).servers.every((s) => s.name !== 'leaving'));
    const okBefore = calls.outcomes.ok;
    await waitFor(() => calls.outcomes.ok > okBefore + 5);
    await calls.stop();

    expect(calls.outcomes.failed).toEqual([]);
    expect(calls.outcomes.answers).toEqual(new Set([String(steadyPid)]));
    expect((await m.server('steady')).pid).toBe(steadyPid);
    const tools = (await m.client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('arriving__echo');
    expect(tools.some((t) => t.startsWith('leaving__'))).toBe(false);
    const env = (await m.client.callTool({ name: 'edited__env', arguments: { name: 'EDITED' } })) as CallToolResult;
    expect(env.content).toEqual([{ type: 'text', text: '1' }]);
  });

  it('replaces a changed server with zero failed calls to it during the switch', async () => {
    const m = await boot(echoServer('swapped'));
    const before = await m.waitState('swapped', 'healthy');
    const calls = keepCalling(m.client, 'swapped__pid');
    await waitFor(() => calls.outcomes.ok >= 5);

    writeConfig(m.dir, echoServer('swapped', { VERSION: '2' }));
    expect(await m.control.reload()).toMatchObject({ ok: true, changed: ['swapped'] });
    const after = await m.waitState('swapped', (s) => s.state === 'healthy' && s.pid !== before.pid);
    await waitFor(() => calls.outcomes.answers.has(String(after.pid)));
    await calls.stop();

    expect(calls.outcomes.failed).toEqual([]);
    expect(calls.outcomes.answers).toEqual(new Set([String(before.pid), String(after.pid)]));
  });

  it('follows edits of the config file on its own', async () => {
    const m = await boot(echoServer('first'));
    await m.waitState('first', 'healthy');
    writeConfig(m.dir, echoServer('first') + echoServer('second'));
    await waitFor(async () => (await m.status()).servers.some((s) => s.name === 'second'), { what: 'the edit to be picked up' });
    const second = await m.waitState('second', 'healthy');
    expect(second.tools).toContain('echo');
    await waitFor(async () => (await m.client.listTools()).tools.some((t) => t.name === 'second__echo'));
  });

  it('an invalid edit keeps everything running and is reported', async () => {
    const m = await boot(echoServer('a'));
    const a = await m.waitState('a', 'healthy');
    writeFileSync(m.config, 'servers:\n  a:\n    comand: nope\n');
    const report = await m.control.reload();
    expect(report.ok).toBe(false);
    expect(report.issues).toContainEqual(
      expect.objectContaining({ file: m.config, line: 3, message: expect.stringMatching(/unknown key "comand"/) }),
    );
    expect(await m.server('a')).toMatchObject({ state: 'healthy', pid: a.pid });
    const result = (await m.client.callTool({ name: 'a__pid', arguments: {} })) as CallToolResult;
    expect(result.content).toEqual([{ type: 'text', text: String(a.pid) }]);
  });
});
