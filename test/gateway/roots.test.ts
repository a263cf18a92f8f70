/**
 * roots/list asked by a backend outside any client call: answered from the connected
 * clients' roots (their union), never an error. Real manager, real backend, real clients.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListRootsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { waitFor } from '../helpers/processes.js';
import { REPO, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const ROOTS = join(REPO, 'test/fixtures/servers/roots.mjs');

async function boot(): Promise<Running & { url: string }> {
  const tmp = tempDir();
  const servers = `  roots:\n    command: ${process.execPath}\n    args: ["${ROOTS}"]\n    client_capabilities: { roots: true }\n    stop_grace: 0.2\n    stop_timeout: 1\n`;
  const running = await runManager(writeConfig(tmp.dir, servers), join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(tmp.cleanup, () => running.manager.stop());
  return { ...running, url: running.manager.gatewayUrl! };
}

/** A client over Streamable HTTP; with `roots`, it offers them (and says when they change). */
async function connect(url: string, roots?: () => string[]): Promise<Client> {
  const client = new Client({ name: 'test', version: '1' }, { capabilities: roots ? { roots: { listChanged: true } } : {} });
  if (roots) client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: roots().map((uri) => ({ uri })) }));
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  cleanups.push(() => client.close());
  return client;
}

type Seen = { on: string; roots?: string[]; error?: string }[];
const seenBy = async (client: Client): Promise<Seen> => {
  const result = (await client.callTool({ name: 'roots__roots_seen', arguments: {} })) as CallToolResult;
  return JSON.parse((result.content[0] as { text: string }).text) as Seen;
};

describe('roots/list from a backend outside a call', () => {
  it('is answered with an empty list when no client offers roots, then with the union of the clients that do', async () => {
    const m = await boot();
    await m.waitState('roots', 'healthy');
    const plain = await connect(m.url);
    // at start no client was connected: an empty answer, not an error
    expect(await seenBy(plain)).toEqual([{ on: 'start', roots: [] }]);

    await connect(m.url, () => ['file:///work/a']);
    await waitFor(async () => ((await seenBy(plain)).at(-1)?.roots?.length === 1 ? true : undefined), { what: 'the first client’s roots' });
    let bRoots = ['file:///work/b', 'file:///work/a'];
    const b = await connect(m.url, () => bRoots);
    await waitFor(async () => ((await seenBy(plain)).at(-1)?.roots?.length === 2 ? true : undefined), { what: 'the union of two clients' });
    expect((await seenBy(plain)).at(-1)).toEqual({ on: 'changed', roots: ['file:///work/a', 'file:///work/b'] });

    // a client's own roots/list_changed reaches the backend, which asks again
    bRoots = ['file:///work/c'];
    await b.sendRootsListChanged();
    await waitFor(async () => ((await seenBy(plain)).at(-1)?.roots?.includes('file:///work/c') ? true : undefined), {
      what: 'the changed roots',
    });
    expect((await seenBy(plain)).at(-1)).toEqual({ on: 'changed', roots: ['file:///work/a', 'file:///work/c'] });

    const seen = await seenBy(plain);
    expect(seen.filter((s) => s.error !== undefined)).toEqual([]);
  });
});
