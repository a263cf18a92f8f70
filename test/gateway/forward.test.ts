/**
 * The tools/call forwarding path (src/gateway/forward.ts) with a real manager, a real
 * backend and real SDK clients over Streamable HTTP: what the SDK path did for a call in
 * flight, the forwarding path must do too. A cancelled call and a call whose client went
 * away give back their slot at once; the backend's own error passes through unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { GATEWAY_ERROR_CODES } from '../../src/gateway/wire-errors.js';
import { waitFor } from '../helpers/processes.js';
import { echoServer, holdStarts, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function boot(servers: string): Promise<Running & { url: string; dir: string }> {
  const tmp = tempDir();
  const running = await runManager(writeConfig(tmp.dir, servers), join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(tmp.cleanup, () => running.manager.stop());
  return { ...running, url: running.manager.gatewayUrl!, dir: tmp.dir };
}

async function connect(url: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'test', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  cleanups.push(() => client.close());
  return { client, transport };
}

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

/** A second call on a server with one slot and no queue: a busy error while the slot is taken, else its result. */
async function trySlot(client: Client, tool: string): Promise<string | undefined> {
  try {
    return textOf(await client.callTool({ name: tool, arguments: { key: 'next' } }));
  } catch (error) {
    if (error instanceof McpError && error.code === GATEWAY_ERROR_CODES.SERVER_BUSY) return undefined;
    throw error;
  }
}

const NARROW = 'max_concurrent_requests: 1\nmax_queued_requests: 0\nqueue_timeout: 60';

describe('forwarding path', () => {
  it('a cancelled call gives its slot back at once, and the client hears nothing more of it', async () => {
    const m = await boot(echoServer('narrow', {}, NARROW));
    await m.waitState('narrow', 'healthy');
    const { client } = await connect(m.url);
    const abort = new AbortController();
    const held = client.callTool({ name: 'narrow__hold', arguments: { until: join(m.dir, 'never') } }, undefined, { signal: abort.signal });
    await waitFor(() => holdStarts(m.manager.stateDir, 'narrow') === 1 || undefined, { what: 'the held call to run' });
    // the slot is taken: the next call is refused as busy
    expect(await trySlot(client, 'narrow__hold')).toBeUndefined();
    abort.abort('no longer wanted');
    await expect(held).rejects.toThrow();
    // the gateway forwards the cancellation and frees the slot: the next call runs
    const next = await waitFor(() => trySlot(client, 'narrow__hold'), { what: 'the slot to come free' });
    expect(next).toMatch(/^n=2 /);
  });

  it('a client that goes away mid-call gives its slot back', async () => {
    const m = await boot(echoServer('narrow', {}, NARROW));
    await m.waitState('narrow', 'healthy');
    const first = await connect(m.url);
    void first.client.callTool({ name: 'narrow__hold', arguments: { until: join(m.dir, 'never') } }).catch(() => undefined);
    await waitFor(() => holdStarts(m.manager.stateDir, 'narrow') === 1 || undefined, { what: 'the held call to run' });
    const second = await connect(m.url);
    expect(await trySlot(second.client, 'narrow__hold')).toBeUndefined();
    await first.transport.terminateSession();
    await first.client.close();
    const next = await waitFor(() => trySlot(second.client, 'narrow__hold'), { what: 'the slot to come free' });
    expect(next).toMatch(/^n=2 /);
  });

  it("passes the backend's results and errors through unchanged, under the client's id", async () => {
    const m = await boot(echoServer('plain'));
    await m.waitState('plain', 'healthy');
    const { client } = await connect(m.url);
    const calls = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.callTool({ name: 'plain__echo', arguments: { text: `t${i}` } })),
    );
    expect(calls.map(textOf)).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
    // the backend's own answer to bad arguments, as it gave it
    const bad = (await client.callTool({ name: 'plain__echo', arguments: { text: 5 } })) as CallToolResult;
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toMatch(/text/);
  });
});
