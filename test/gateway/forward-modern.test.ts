/**
 * The forwarding path for 2026-07-28 clients (src/gateway/forward.ts), with a real manager,
 * a real 2025-era backend (echo.mjs) and real requests: raw HTTP POSTs, the v2 SDK client
 * over HTTP and over stdio. A call the path takes reaches the backend as the gateway's own
 * rewritten message (an id `mm-N`, no 2026-07-28 envelope) and comes back as the SDK path
 * would answer it; a call it must not take (input it may need relayed, a log level) still
 * goes the SDK's way; a client leaving mid-call frees the backend's slot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { MODERN, modernPost } from '../helpers/modern-http.js';
import { ProcessTracker, waitFor } from '../helpers/processes.js';
import { CLI, REPO, echoServer, holdStarts, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
const tracker = new ProcessTracker();
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  tracker.killAll();
});

async function boot(servers: string): Promise<Running & { url: string; dir: string }> {
  const tmp = tempDir();
  const running = await runManager(writeConfig(tmp.dir, servers), join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(tmp.cleanup, () => running.manager.stop());
  return { ...running, url: running.manager.gatewayUrl!, dir: tmp.dir };
}

/** A v2 client held to the 2026-07-28 era, declaring no capabilities. */
function modernClient(): Client {
  const client = new Client({ name: 'modern', version: '1' }, { versionNegotiation: { mode: { pin: MODERN } } });
  cleanups.push(() => client.close());
  return client;
}

const textOf = (result: unknown): string => (result as { content: { text: string }[] }).content[0]!.text;

/** What echo.mjs's `request` tool saw of the call: its JSON-RPC id and `_meta`. */
const seenBy = (text: string) => JSON.parse(text) as { id: string | number; meta: Record<string, unknown> | null };

/** The same call with a log level in its envelope: a log level is the SDK path's to pass on, so it takes that path. */
const viaSdkPath = (url: string, params: Record<string, unknown>) =>
  modernPost(url, 'tools/call', params, {}, {}, { 'io.modelcontextprotocol/logLevel': 'debug' });

const NARROW = 'max_concurrent_requests: 1\nmax_queued_requests: 0\nqueue_timeout: 60';
const SERVER_BUSY = -32011;

describe('forwarding path, 2026-07-28 clients over HTTP', () => {
  it('a plain call reaches the backend as one rewritten message and is answered as the SDK path answers it', async () => {
    const m = await boot(echoServer('plain'));
    await m.waitState('plain', 'healthy');
    const taken = await modernPost(m.url, 'tools/call', { name: 'plain__request', arguments: {} });
    expect(taken.status).toBe(200);
    const seen = seenBy(textOf(taken.json?.result));
    expect(String(seen.id)).toMatch(/^mm-\d+$/);
    // the envelope stays with the gateway: the 2025-era backend sees none of it
    expect(JSON.stringify(seen.meta ?? {})).not.toContain('io.modelcontextprotocol/');

    // the SDK path: the call reaches the backend through its SDK client
    const viaSdk = await viaSdkPath(m.url, { name: 'plain__request', arguments: {} });
    expect(typeof seenBy(textOf(viaSdk.json?.result)).id).toBe('number');

    // the same answer both ways: the backend's result, stamped for the 2026-07-28 era
    const fast = await modernPost(m.url, 'tools/call', { name: 'plain__echo', arguments: { text: 'same' } });
    const sdk = await viaSdkPath(m.url, { name: 'plain__echo', arguments: { text: 'same' } });
    expect(fast.json).toEqual(sdk.json);
    expect(fast.json?.result).toMatchObject({
      content: [{ type: 'text', text: 'same' }],
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'mcp-manager' } },
    });
    // the backend's own answer to bad arguments, as it gave it
    const bad = await modernPost(m.url, 'tools/call', { name: 'plain__echo', arguments: { text: 5 } });
    expect(bad.json?.result).toMatchObject({ isError: true, resultType: 'complete' });
  });

  it('headers that disagree with the body, and a client that may be asked for input, are the SDK path’s', async () => {
    const m = await boot(echoServer('plain'));
    await m.waitState('plain', 'healthy');
    const mismatch = await modernPost(m.url, 'tools/call', { name: 'plain__request', arguments: {} }, { 'mcp-name': 'plain__echo' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json?.error?.code).toBe(-32020);
    // elicitation declared: a backend's question would go to the client through the input bridge
    const asks = await modernPost(m.url, 'tools/call', { name: 'plain__request', arguments: {} }, {}, { elicitation: {} });
    expect(typeof seenBy(textOf(asks.json?.result)).id).toBe('number');
  });

  it('the v2 client’s calls take the path', async () => {
    const m = await boot(echoServer('plain'));
    await m.waitState('plain', 'healthy');
    const client = modernClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(m.url)));
    expect(client.getProtocolEra()).toBe('modern');
    const seen = seenBy(textOf(await client.callTool({ name: 'plain__request', arguments: {} })));
    expect(String(seen.id)).toMatch(/^mm-\d+$/);
  });

  it('a request closed mid-call cancels it at the backend and frees its slot', async () => {
    const m = await boot(echoServer('narrow', {}, NARROW));
    await m.waitState('narrow', 'healthy');
    const abort = new AbortController();
    const held = modernPost(
      m.url,
      'tools/call',
      { name: 'narrow__hold', arguments: { until: join(m.dir, 'never') } },
      {},
      {},
      {},
      abort.signal,
    );
    await waitFor(() => holdStarts(m.manager.stateDir, 'narrow') === 1 || undefined, { what: 'the held call to run' });
    const busy = await modernPost(m.url, 'tools/call', { name: 'narrow__hold', arguments: { key: 'busy' } });
    expect(busy.json?.error?.code).toBe(SERVER_BUSY);
    abort.abort();
    await expect(held).rejects.toThrow();
    const next = await waitFor(
      async () => {
        const answer = await modernPost(m.url, 'tools/call', { name: 'narrow__hold', arguments: { key: 'next' } });
        return answer.json?.error?.code === SERVER_BUSY ? undefined : answer;
      },
      { what: 'the slot to come free' },
    );
    expect(textOf(next.json?.result)).toMatch(/^n=2 /);
  });
});

describe('forwarding path, 2026-07-28 on both sides', () => {
  /** A dual-era v2 backend, which the gateway speaks 2026-07-28 to (`protocol: auto`). */
  const dualServer = (name: string) =>
    [
      `  ${name}:`,
      `    command: ${process.execPath}`,
      `    args: ["${join(REPO, 'test/fixtures/servers/modern-era.mjs')}"]`,
      `    stop_grace: 0.2`,
      `    env:`,
      `      FIXTURE_ERA: "dual"`,
      '',
    ].join('\n');

  it("a plain call passes through under the gateway's envelope, and is answered as the SDK path answers it", async () => {
    const m = await boot(dualServer('dual'));
    await m.waitState('dual', 'healthy');
    const taken = await modernPost(m.url, 'tools/call', { name: 'dual__request', arguments: {} });
    const seen = seenBy(textOf(taken.json?.result));
    expect(String(seen.id)).toMatch(/^mm-\d+$/);
    // the gateway's own envelope, as its SDK client would send it; the client's stays with the gateway
    expect((seen as { envelope?: unknown }).envelope).toEqual({
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientInfo': { name: 'mcp-manager', version: expect.any(String) as unknown },
      'io.modelcontextprotocol/clientCapabilities': {},
    });
    const viaSdk = await viaSdkPath(m.url, { name: 'dual__request', arguments: {} });
    expect(typeof seenBy(textOf(viaSdk.json?.result)).id).toBe('number');
    // the upstream's answer, its own serverInfo and resultType kept, either way
    const fast = await modernPost(m.url, 'tools/call', { name: 'dual__echo', arguments: { text: 'same' } });
    const sdk = await viaSdkPath(m.url, { name: 'dual__echo', arguments: { text: 'same' } });
    expect(fast.json).toEqual(sdk.json);
    expect(fast.json?.result).toMatchObject({
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'era-fixture' } },
    });
  });

  it("a 2025 client's call goes under the gateway's envelope, and is answered as the SDK path answers it", async () => {
    const m = await boot(dualServer('dual'));
    await m.waitState('dual', 'healthy');
    const client = new Client({ name: 'legacy', version: '1' });
    cleanups.push(() => client.close());
    await client.connect(new StreamableHTTPClientTransport(new URL(m.url)));
    expect(client.getProtocolEra()).toBe('legacy');
    const seen = seenBy(textOf(await client.callTool({ name: 'dual__request', arguments: {} })));
    expect(String(seen.id)).toMatch(/^mm-\d+$/);
    expect((seen as { envelope?: unknown }).envelope).toEqual({
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientInfo': { name: 'mcp-manager', version: expect.any(String) as unknown },
      'io.modelcontextprotocol/clientCapabilities': {},
    });
    // progress is relayed by the SDK path
    const viaSdk = (params: { name: string; arguments: Record<string, unknown> }) =>
      client.callTool(params, { onprogress: () => undefined });
    expect(typeof seenBy(textOf(await viaSdk({ name: 'dual__request', arguments: {} }))).id).toBe('number');
    // the same answer both ways: the upstream's, without the 2026-07-28 resultType
    for (const args of [{ text: 'same' }, { text: 5 }]) {
      const fast = await client.callTool({ name: 'dual__echo', arguments: args });
      const sdk = await viaSdk({ name: 'dual__echo', arguments: args });
      expect(fast).toEqual(sdk);
      expect(fast).not.toHaveProperty('resultType');
      expect(fast).toMatchObject({ _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'era-fixture' } } });
    }
    // a log level set on the connection goes in each request's envelope, as the SDK path puts it
    await client.setLoggingLevel('debug');
    const leveled = seenBy(textOf(await client.callTool({ name: 'dual__request', arguments: {} })));
    expect(typeof leveled.id).toBe('number');
    expect((leveled as { envelope?: unknown }).envelope).toMatchObject({ 'io.modelcontextprotocol/logLevel': 'debug' });
  });

  it('an upstream asking for input the gateway was not offered answers as on the SDK path', async () => {
    const m = await boot(
      [
        '  ask:',
        `    command: ${process.execPath}`,
        `    args: ["${join(REPO, 'test/fixtures/servers/era-ask.mjs')}"]`,
        '    protocol: modern',
        '    stop_grace: 0.2',
        '    env:',
        '      ERA_ASK: "modern"',
        '',
      ].join('\n'),
    );
    await m.waitState('ask', 'healthy');
    const fast = await modernPost(m.url, 'tools/call', { name: 'ask__ask', arguments: {} });
    const sdk = await viaSdkPath(m.url, { name: 'ask__ask', arguments: {} });
    // (a v2 upstream refuses a client that declared nothing before it would answer input_required)
    expect(fast.json?.error?.code).toBe(-32021);
    expect({ status: fast.status, json: fast.json }).toEqual({ status: sdk.status, json: sdk.json });
    // a 2025 client's call, the same both ways (progress is relayed by the SDK path)
    const legacy = new Client({ name: 'legacy', version: '1' });
    cleanups.push(() => legacy.close());
    await legacy.connect(new StreamableHTTPClientTransport(new URL(m.url)));
    const outcome = (call: Promise<unknown>) =>
      call.then(
        (result) => ({ result }),
        (error: { code?: unknown; message?: unknown }) => ({ code: error.code, message: error.message }),
      );
    const legacyFast = await outcome(legacy.callTool({ name: 'ask__ask', arguments: {} }));
    const legacySdk = await outcome(legacy.callTool({ name: 'ask__ask', arguments: {} }, { onprogress: () => undefined }));
    expect(legacyFast).toMatchObject({ code: -32021 });
    expect(legacyFast).toEqual(legacySdk);
  });
});

describe('forwarding path, a 2026-07-28 client on stdio', () => {
  it('its calls take the path, and a cancelled call frees its slot', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const client = modernClient();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        CLI,
        'start',
        '--stdio',
        '--config',
        writeConfig(tmp.dir, echoServer('narrow', {}, NARROW)),
        '--state-dir',
        join(tmp.dir, 'state'),
      ],
      stderr: 'pipe',
    });
    await client.connect(transport);
    tracker.track(transport.pid);
    expect(client.getProtocolEra()).toBe('modern');
    // the backend up and routable (a call answered, whichever way it went)
    await waitFor(
      () =>
        client.callTool({ name: 'narrow__echo', arguments: { text: 'up' } }).then(
          (result) => (result.isError === true ? undefined : true),
          () => undefined,
        ),
      { timeoutMs: 15_000, what: 'the backend to answer' },
    );
    const seen = seenBy(textOf(await client.callTool({ name: 'narrow__request', arguments: {} })));
    expect(String(seen.id)).toMatch(/^mm-\d+$/);
    expect(JSON.stringify(seen.meta ?? {})).not.toContain('io.modelcontextprotocol/');

    const abort = new AbortController();
    const held = client.callTool({ name: 'narrow__hold', arguments: { until: join(tmp.dir, 'never') } }, { signal: abort.signal });
    await waitFor(() => holdStarts(join(tmp.dir, 'state'), 'narrow') === 1 || undefined, { what: 'the held call to run' });
    await expect(client.callTool({ name: 'narrow__hold', arguments: { key: 'busy' } })).rejects.toMatchObject({ code: SERVER_BUSY });
    abort.abort('no longer wanted');
    await expect(held).rejects.toThrow();
    const next = await waitFor(
      () =>
        client.callTool({ name: 'narrow__hold', arguments: { key: 'next' } }).then(
          (result) => textOf(result),
          () => undefined,
        ),
      { what: 'the slot to come free' },
    );
    expect(next).toMatch(/^n=2 /);
  });
});
