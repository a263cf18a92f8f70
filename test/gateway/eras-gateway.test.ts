/**
 * Both protocol eras at the gateway, end to end: a real manager with real backends, and
 * real clients of every kind (SDK v2 in auto, pinned modern and legacy mode; the 1.x SDK)
 * over Streamable HTTP on 127.0.0.1 and over stdio.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MODERN, modernPost } from '../helpers/modern-http.js';
import { ProcessTracker, waitFor } from '../helpers/processes.js';
import { CLI, REPO, echoServer, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

const ERA_ASK = join(REPO, 'test/fixtures/servers/era-ask.mjs');

let cleanups: (() => Promise<unknown> | void)[] = [];
const tracker = new ProcessTracker();
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  tracker.killAll();
});

/** A backend of the era-ask fixture; a modern-only one is configured `protocol: modern`, the others use the default. */
function eraAsk(name: string, mode: 'legacy' | 'modern' | 'dual'): string {
  return [
    `  ${name}:`,
    `    command: ${process.execPath}`,
    `    args: ["${ERA_ASK}"]`,
    ...(mode === 'modern' ? ['    protocol: modern'] : []),
    `    client_capabilities: { elicitation: true }`,
    `    stop_grace: 0.2`,
    `    stop_timeout: 1`,
    `    env:`,
    `      ERA_ASK: "${mode}"`,
    '',
  ].join('\n');
}

async function boot(servers: string): Promise<Running & { url: string }> {
  const tmp = tempDir();
  const running = await runManager(writeConfig(tmp.dir, servers), join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(tmp.cleanup, () => running.manager.stop());
  return { ...running, url: running.manager.gatewayUrl! };
}

type Mode = 'auto' | 'modern' | 'legacy';
const negotiation = (mode: Mode) =>
  mode === 'auto'
    ? { versionNegotiation: { mode: 'auto' as const } }
    : mode === 'modern'
      ? { versionNegotiation: { mode: { pin: MODERN } } }
      : {};

/** A v2 client that answers elicitations with `name` (when it declares the capability). */
function v2(mode: Mode, options: { elicit?: string } = {}): ClientV2 {
  const client = new ClientV2(
    { name: `v2-${mode}`, version: '1' },
    { ...negotiation(mode), capabilities: options.elicit === undefined ? {} : { elicitation: {} } },
  );
  const name = options.elicit;
  if (name !== undefined)
    client.setRequestHandler('elicitation/create', () => Promise.resolve({ action: 'accept' as const, content: { name } }));
  cleanups.push(() => client.close());
  return client;
}

function v1(options: { elicit?: string } = {}): ClientV1 {
  const client = new ClientV1({ name: 'v1', version: '1' }, { capabilities: options.elicit === undefined ? {} : { elicitation: {} } });
  cleanups.push(() => client.close());
  return client;
}

const textOf = (result: unknown): string => (result as { content: { text: string }[] }).content[0]!.text;

describe('both eras on one URL', () => {
  it('v2 clients in auto, pinned modern and legacy mode and a 1.x client see the same tools and call them', async () => {
    const m = await boot(echoServer('one'));
    await m.waitState('one', 'healthy');
    const seen: Record<string, string[]> = {};
    for (const mode of ['auto', 'modern', 'legacy'] as const) {
      const client = v2(mode);
      await client.connect(new HttpV2(new URL(m.url)));
      expect(client.getProtocolEra()).toBe(mode === 'legacy' ? 'legacy' : 'modern');
      seen[mode] = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(textOf(await client.callTool({ name: 'one__echo', arguments: { text: `via ${mode}` } }))).toBe(`via ${mode}`);
    }
    const old = v1();
    await old.connect(new HttpV1(new URL(m.url)));
    seen.v1 = (await old.listTools()).tools.map((t) => t.name).sort();
    expect(textOf(await old.callTool({ name: 'one__add', arguments: { a: 2, b: 3 } }))).toBe('5');
    expect(seen.auto).toContain('one__echo');
    expect(seen.modern).toEqual(seen.auto);
    expect(seen.legacy).toEqual(seen.auto);
    expect(seen.v1).toEqual(seen.auto);
  });

  it('modern requests are checked against their headers, refused on unknown versions and removed methods, and never get a session', async () => {
    const m = await boot(echoServer('one'));
    await m.waitState('one', 'healthy');

    const list = await modernPost(m.url, 'tools/list');
    expect(list.status).toBe(200);
    expect(list.headers.get('mcp-session-id')).toBeNull();
    expect(list.json?.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    expect((list.json?.result?._meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo']).toMatchObject({
      name: 'mcp-manager',
    });

    const mismatch = await modernPost(m.url, 'tools/call', { name: 'one__echo', arguments: { text: 'x' } }, { 'mcp-name': 'one__add' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json?.error?.code).toBe(-32020);

    const wrongMethod = await modernPost(m.url, 'tools/list', {}, { 'mcp-method': 'prompts/list' });
    expect(wrongMethod.status).toBe(400);
    expect(wrongMethod.json?.error?.code).toBe(-32020);

    const future = await modernPost(m.url, 'tools/list', {}, { 'mcp-protocol-version': '2099-01-01' });
    expect(future.json?.error?.code).toBe(-32022);
    expect(future.json?.error?.data).toMatchObject({ supported: [MODERN] });

    for (const removed of ['ping', 'logging/setLevel', 'resources/subscribe']) {
      const answer = await modernPost(
        m.url,
        removed,
        removed === 'logging/setLevel' ? { level: 'debug' } : removed === 'resources/subscribe' ? { uri: 'x://y' } : {},
      );
      expect(answer.json?.error?.code, removed).toBe(-32601);
    }
  });

  it('legacy results never carry the modern fields', async () => {
    const m = await boot(echoServer('one'));
    await m.waitState('one', 'healthy');
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(m.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    const session = init.headers.get('mcp-session-id')!;
    expect(session).toBeTruthy();
    const initResult = (await init.json()) as { result: Record<string, unknown> };
    expect(initResult.result).not.toHaveProperty('resultType');
    const list = await fetch(m.url, {
      method: 'POST',
      headers: { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    const body = (await list.json()) as { result: Record<string, unknown> };
    expect(Array.isArray(body.result.tools)).toBe(true);
    for (const key of ['resultType', 'ttlMs', 'cacheScope', '_meta']) expect(body.result, key).not.toHaveProperty(key);
  });

  it('server/discover answers with the aggregate', async () => {
    const m = await boot(echoServer('one') + eraAsk('ask', 'legacy'));
    await m.waitState('one', 'healthy');
    await m.waitState('ask', 'healthy');
    const client = v2('modern');
    await client.connect(new HttpV2(new URL(m.url)));
    const discover = client.getDiscoverResult() as unknown as Record<string, unknown>;
    expect(discover.supportedVersions).toEqual([MODERN]);
    expect(discover.capabilities).toMatchObject({ tools: { listChanged: true }, resources: { listChanged: true, subscribe: true } });
    expect(discover.capabilities).not.toHaveProperty('prompts');
    expect(discover).toMatchObject({ ttlMs: 0, cacheScope: 'private' });
    expect(client.getServerVersion()).toMatchObject({ name: 'mcp-manager' });
  });

  it("closing a modern call's stream cancels the call upstream", async () => {
    const m = await boot(eraAsk('ask', 'legacy'));
    await m.waitState('ask', 'healthy');
    const log = () => {
      try {
        return readFileSync(join(m.manager.stateDir, 'logs', 'ask.log'), 'utf8');
      } catch {
        return '';
      }
    };
    const abort = new AbortController();
    const call = fetch(m.url, {
      method: 'POST',
      signal: abort.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': 'ask__wait',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: {
          name: 'ask__wait',
          arguments: {},
          _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} },
        },
      }),
    }).catch(() => undefined);
    await waitFor(() => log().includes('wait started'), { timeoutMs: 10_000, what: 'the call to reach the backend' });
    abort.abort();
    await call;
    await waitFor(() => log().includes('wait cancelled'), { timeoutMs: 10_000, what: 'the backend to see the cancellation' });
  });

  it('subscriptions/listen merges list changes and resource updates, acknowledging only what upstreams accepted', async () => {
    const m = await boot(eraAsk('ask', 'legacy') + echoServer('one'));
    await m.waitState('ask', 'healthy');
    await m.waitState('one', 'healthy');
    const client = v2('modern');
    const updated: string[] = [];
    let toolsChanged = 0;
    client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
    client.setNotificationHandler('notifications/tools/list_changed', () => void toolsChanged++);
    await client.connect(new HttpV2(new URL(m.url)));
    const subscription = await client.listen({ toolsListChanged: true, resourceSubscriptions: ['era://note', 'nowhere://x'] });
    expect(subscription.honoredFilter).toEqual({ toolsListChanged: true, resourceSubscriptions: ['era://note'] });
    expect(textOf(await client.callTool({ name: 'ask__touch', arguments: {} }))).toBe('touched');
    await waitFor(() => updated.includes('era://note'), { timeoutMs: 10_000, what: 'resources/updated on the listen stream' });
    await m.control.stopServer('one');
    await waitFor(() => toolsChanged > 0, { timeoutMs: 10_000, what: 'tools/list_changed on the listen stream' });
  });
});

describe('both eras on stdio', () => {
  function spawnArgs(dir: string, servers: string) {
    return {
      command: process.execPath,
      args: [CLI, 'start', '--stdio', '--config', writeConfig(dir, servers), '--state-dir', join(dir, 'state')],
      stderr: 'pipe' as const,
    };
  }
  /** The SDK probes in place (no sibling process) on a subclass of its stdio transport. */
  class InPlaceStdio extends StdioV2 {}

  it('the first message decides the era: every kind of client sees the tools and calls them', async () => {
    const seen: Record<string, string[]> = {};
    for (const kind of ['auto', 'modern', 'legacy', 'v1'] as const) {
      const tmp = tempDir();
      cleanups.push(tmp.cleanup);
      const params = spawnArgs(tmp.dir, echoServer('one'));
      let names: string[];
      if (kind === 'v1') {
        const client = v1();
        const transport = new StdioV1(params);
        await client.connect(transport);
        tracker.track(transport.pid);
        names = await waitFor(
          async () => {
            const tools = (await client.listTools()).tools.map((t) => t.name);
            return tools.includes('one__echo') ? tools : undefined;
          },
          { timeoutMs: 15_000, what: 'tools listed' },
        );
        expect(textOf(await client.callTool({ name: 'one__echo', arguments: { text: kind } }))).toBe(kind);
      } else {
        const client = v2(kind);
        const transport = new InPlaceStdio(params);
        await client.connect(transport);
        tracker.track(transport.pid);
        expect(client.getProtocolEra()).toBe(kind === 'legacy' ? 'legacy' : 'modern');
        names = await waitFor(
          async () => {
            const tools = (await client.listTools()).tools.map((t) => t.name);
            return tools.includes('one__echo') ? tools : undefined;
          },
          { timeoutMs: 15_000, what: 'tools listed' },
        );
        expect(textOf(await client.callTool({ name: 'one__echo', arguments: { text: kind } }))).toBe(kind);
      }
      seen[kind] = names.sort();
    }
    expect(seen.modern).toEqual(seen.auto);
    expect(seen.legacy).toEqual(seen.auto);
    expect(seen.v1).toEqual(seen.auto);
  });
  it('a modern stdio client is asked for input across its retries, and hears of resource updates it listens for', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const client = v2('modern', { elicit: 'stdio-user' });
    const updated: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => void updated.push(n.params.uri));
    const transport = new InPlaceStdio(spawnArgs(tmp.dir, eraAsk('ask', 'legacy')));
    await client.connect(transport);
    tracker.track(transport.pid);
    await waitFor(async () => ((await client.listTools()).tools.some((t) => t.name === 'ask__ask') ? true : undefined), {
      timeoutMs: 15_000,
      what: 'tools listed',
    });
    expect(textOf(await client.callTool({ name: 'ask__ask', arguments: {} }))).toBe('hello stdio-user');
    const subscription = await client.listen({ resourceSubscriptions: ['era://note', 'nowhere://x'] });
    expect(subscription.honoredFilter).toEqual({ resourceSubscriptions: ['era://note'] });
    expect(textOf(await client.callTool({ name: 'ask__touch', arguments: {} }))).toBe('touched');
    await waitFor(() => updated.includes('era://note'), { timeoutMs: 10_000, what: 'resources/updated on the stdio listen stream' });
  });
});

describe('elicitation across eras', () => {
  for (const upstream of ['legacy', 'modern'] as const) {
    for (const downstream of ['legacy', 'modern'] as const) {
      it(`${downstream} client ← ${upstream} upstream: the answer reaches the backend and the result the client`, async () => {
        const m = await boot(eraAsk('ask', upstream));
        await m.waitState('ask', 'healthy');
        const client = v2(downstream, { elicit: `${downstream}-user` });
        await client.connect(new HttpV2(new URL(m.url)));
        expect(client.getProtocolEra()).toBe(downstream);
        expect(textOf(await client.callTool({ name: 'ask__ask', arguments: {} }))).toBe(`hello ${downstream}-user`);
      });
    }
  }

  it("the 1.x client answers a modern upstream's question too", async () => {
    const m = await boot(eraAsk('ask', 'modern'));
    await m.waitState('ask', 'healthy');
    const client = v1({ elicit: 'old' });
    const { ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { name: 'old' } }));
    await client.connect(new HttpV1(new URL(m.url)));
    expect(textOf(await client.callTool({ name: 'ask__ask', arguments: {} }))).toBe('hello old');
  });

  it('a modern client that did not declare elicitation gets -32021, not a hang', async () => {
    const m = await boot(eraAsk('ask', 'legacy'));
    await m.waitState('ask', 'healthy');
    const answer = await modernPost(m.url, 'tools/call', { name: 'ask__ask', arguments: {} });
    expect(answer.status).toBe(400);
    expect(answer.json?.error?.code).toBe(-32021);
    expect(answer.json?.error?.data).toEqual({ requiredCapabilities: { elicitation: {} } });
  });

  it("a legacy client that did not declare elicitation gets the backend's answer to a refusal, not a hang", async () => {
    const m = await boot(eraAsk('ask', 'legacy'));
    await m.waitState('ask', 'healthy');
    const client = v2('legacy');
    await client.connect(new HttpV2(new URL(m.url)));
    const result: { isError?: boolean } | Error = await client
      .callTool({ name: 'ask__ask', arguments: {} })
      .catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    // either the backend reports the refused elicitation as a tool error, or the error itself arrives
    if (result instanceof Error) expect(result.message).toMatch(/elicitation|capabilit/i);
    else expect(result.isError).toBe(true);
  });

  it('a modern client gets the progress of a later round though its first round asked for none (legacy upstream, one backend request)', async () => {
    const m = await boot(eraAsk('ask', 'legacy'));
    await m.waitState('ask', 'healthy');
    const round = await modernPost(m.url, 'tools/call', { name: 'ask__steps', arguments: {} }, {}, { elicitation: {} });
    expect(round.json?.result).toMatchObject({ resultType: 'input_required' });
    // no token, no progress in the first round
    expect(round.messages.filter((x) => x.method === 'notifications/progress')).toEqual([]);
    const state = round.json!.result!.requestState as string;
    const key = Object.keys(round.json!.result!.inputRequests as object)[0]!;
    const done = await modernPost(
      m.url,
      'tools/call',
      { name: 'ask__steps', arguments: {}, requestState: state, inputResponses: { [key]: { action: 'accept', content: { name: 'ada' } } } },
      {},
      { elicitation: {} },
      { progressToken: 'second' },
    );
    expect(done.json?.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'steps done for ada' }] });
    expect(done.messages.filter((x) => x.method === 'notifications/progress').map((x) => x.params)).toEqual([
      { progressToken: 'second', progress: 2, total: 2, message: 'round 2' },
    ]);
  });

  it('a forged requestState is refused', async () => {
    const m = await boot(eraAsk('ask', 'legacy'));
    await m.waitState('ask', 'healthy');
    const round = await modernPost(m.url, 'tools/call', { name: 'ask__ask', arguments: {} }, {}, { elicitation: {} });
    expect(round.json?.result).toMatchObject({ resultType: 'input_required' });
    const state = round.json!.result!.requestState as string;
    const keys = Object.keys(round.json!.result!.inputRequests as object);
    const forged = `${state.slice(0, -4)}AAAA`;
    const answer = { action: 'accept', content: { name: 'x' } };
    const refused = await modernPost(
      m.url,
      'tools/call',
      { name: 'ask__ask', arguments: {}, requestState: forged, inputResponses: { [keys[0]!]: answer } },
      {},
      { elicitation: {} },
    );
    expect(refused.json?.error?.code).toBe(-32602);
    // the genuine handle still works
    const done = await modernPost(
      m.url,
      'tools/call',
      { name: 'ask__ask', arguments: {}, requestState: state, inputResponses: { [keys[0]!]: answer } },
      {},
      { elicitation: {} },
    );
    expect(done.json?.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'hello x' }] });
  });
});
