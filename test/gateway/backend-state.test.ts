/**
 * What the gateway tells its backends on the clients' behalf: the most verbose log level
 * any live client asked for, resource subscriptions again after a restart, and only the
 * client capabilities configured for the server. Real manager, real backends, 1.x clients.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import { REPO, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const STRICT = join(REPO, 'test/fixtures/servers/legacy-era-strict.mjs');
const EVERYTHING = join(REPO, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

async function boot(servers: string): Promise<Running & { url: string }> {
  const tmp = tempDir();
  const running = await runManager(writeConfig(tmp.dir, servers), join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(tmp.cleanup, () => running.manager.stop());
  return { ...running, url: running.manager.gatewayUrl! };
}

async function connect(url: string): Promise<Client & { end(): Promise<void> }> {
  const client = new Client({ name: 'test', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  cleanups.push(() => client.close());
  // ends the session on the gateway (DELETE), then the connection
  return Object.assign(client, { end: async () => (await transport.terminateSession(), await client.close()) });
}

type BackendState = { level: string | null; subscriptions: string[] };
const stateOf = async (client: Client): Promise<BackendState> => {
  const result = (await client.callTool({ name: 'strict__state', arguments: {} })) as CallToolResult;
  return JSON.parse((result.content[0] as { text: string }).text) as BackendState;
};

describe('backend state kept by the gateway', () => {
  it('sets the most verbose level any live client asked for, and re-sends level and subscriptions after a restart', async () => {
    const m = await boot(
      `  strict:\n    command: ${process.execPath}\n    args: ["${STRICT}"]\n    protocol: legacy\n    stop_grace: 0.2\n    stop_timeout: 1\n`,
    );
    await m.waitState('strict', 'healthy');
    const a = await connect(m.url);
    const b = await connect(m.url);
    await a.setLoggingLevel('error');
    expect((await stateOf(a)).level).toBe('error');
    await b.setLoggingLevel('debug');
    expect((await stateOf(a)).level).toBe('debug');
    // a later, quieter request does not silence the client that wants more
    await a.setLoggingLevel('warning');
    expect((await stateOf(a)).level).toBe('debug');

    await a.subscribeResource({ uri: 'test://r' });
    expect((await stateOf(a)).subscriptions).toEqual(['test://r']);

    const before = await m.server('strict');
    await a.callTool({ name: 'strict__crash', arguments: {} }).catch(() => undefined);
    await m.waitState('strict', (s) => s.state === 'healthy' && s.restarts > before.restarts);
    // the new process was told again what the clients asked of the old one
    await waitFor(async () => ((await stateOf(b)).subscriptions.length === 1 ? true : undefined), { what: 'the subscription re-sent' });
    expect(await stateOf(b)).toEqual({ level: 'debug', subscriptions: ['test://r'] });

    // when the verbose client leaves, the others' most verbose level applies
    await b.end();
    await waitFor(async () => ((await stateOf(a)).level === 'warning' ? true : undefined), { what: 'the level of the remaining client' });
  });

  it('offers a backend no sampling, elicitation or roots unless configured, and says so in capabilities', async () => {
    const m = await boot(
      `  plain:\n    command: ${process.execPath}\n    args: ["${EVERYTHING}", "stdio"]\n    stop_grace: 0.2\n    stop_timeout: 1\n` +
        `  offered:\n    command: ${process.execPath}\n    args: ["${EVERYTHING}", "stdio"]\n    client_capabilities: { sampling: true, elicitation: true, roots: true }\n    stop_grace: 0.2\n    stop_timeout: 1\n`,
    );
    await m.waitState('plain', 'healthy');
    await m.waitState('offered', 'healthy');
    const caps = await m.control.capabilities();
    const plain = caps.servers.find((s) => s.name === 'plain')!;
    const offered = caps.servers.find((s) => s.name === 'offered')!;
    expect(plain.offered).toEqual({ sampling: false, elicitation: false, roots: false });
    expect(offered.offered).toEqual({ sampling: true, elicitation: true, roots: true });
    expect(plain.era).toBe('legacy');
    const names = (s: typeof plain) => s.tools.map((t) => t.name);
    // the tools that need sampling, elicitation or roots are only listed where they are offered
    const gated = names(offered).filter((n) => !names(plain).includes(n));
    expect(gated.length).toBeGreaterThan(0);
    expect(gated.every((n) => /sampl|elicit|roots/i.test(n))).toBe(true);
    expect(names(plain)).toHaveLength(13);
  });
});
