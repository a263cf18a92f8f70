/**
 * The conformance fixture, served directly (no gateway), passes every server scenario of
 * the official suite. The gateway is later run through the same suite in front of it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProcessTracker, isAlive, waitFor } from '../helpers/processes.js';
import { formatFailures, listServerScenarios, runConformance } from './run-suite.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/servers/conformance.mjs', import.meta.url));
const tracker = new ProcessTracker();

interface HttpFixture {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

async function startHttpFixture(): Promise<HttpFixture> {
  const child = spawn(process.execPath, [FIXTURE, 'http', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  tracker.track(child.pid);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr)?.[1], {
    timeoutMs: 10_000,
    what: 'the fixture to listen',
  });
  return { child, url, stderr: () => stderr };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
}

describe('conformance fixture over Streamable HTTP', () => {
  let fixture: HttpFixture;

  beforeAll(async () => {
    fixture = await startHttpFixture();
  });

  afterAll(async () => {
    await stop(fixture.child);
    tracker.killAll();
  });

  it('passes every server scenario of the suite', { timeout: 150_000 }, async () => {
    const [result, scenarios] = await Promise.all([runConformance(fixture.url, { timeoutMs: 120_000 }), listServerScenarios()]);
    expect(result.failed, `failed scenarios:\n${formatFailures(result.failed)}\n\nfixture stderr:\n${fixture.stderr()}`).toEqual([]);
    expect(result.passed.toSorted()).toEqual(scenarios.toSorted());
    // Expected warnings, only there: server-sse-polling posts with `mcp-protocol-version:
    // 2025-03-26`, and the SDK sends priming events (with `retry`) only to clients >= 2025-11-25.
    expect(result.warnings.filter((warning) => warning.scenario !== 'server-sse-polling')).toEqual([]);
  });

  it('runs a chosen subset, one scenario at a time', { timeout: 60_000 }, async () => {
    const result = await runConformance(fixture.url, { scenarios: ['ping', 'tools-list'], timeoutMs: 30_000 });
    expect(result).toMatchObject({ passed: ['ping', 'tools-list'], failed: [] });
  });

  it('reports an unknown scenario as failed, with the CLI output', { timeout: 30_000 }, async () => {
    const result = await runConformance(fixture.url, { scenarios: ['no-such-scenario'], timeoutMs: 20_000 });
    expect(result.passed).toEqual([]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.detail).toContain('no-such-scenario');
  });

  it('resumes a closed stream through Last-Event-ID for a current client', { timeout: 20_000 }, async () => {
    const client = new Client({ name: 'direct-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    try {
      const result = await client.callTool({ name: 'test_reconnection', arguments: {} });
      expect(result.content).toEqual([{ type: 'text', text: 'Reconnection test completed successfully' }]);
    } finally {
      await client.close();
    }
  });

  it('rejects a non-loopback Origin with 403', async () => {
    const response = await fetch(fixture.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', origin: 'http://evil.example.com' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(response.status).toBe(403);
  });

  it('answers 404 for an unknown session', async () => {
    const response = await fetch(fixture.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'nope' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(response.status).toBe(404);
  });
});

describe('conformance fixture over stdio', () => {
  let client: Client | undefined;

  afterEach(async () => {
    await client?.close();
    client = undefined;
    tracker.killAll();
  });

  it('serves the same tools, resources and prompts', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [FIXTURE, 'stdio'], stderr: 'pipe' });
    client = new Client({ name: 'direct-test', version: '1.0.0' });
    await client.connect(transport);
    const pid = transport.pid;
    tracker.track(pid);

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('test_simple_text');
    expect(await client.callTool({ name: 'test_simple_text', arguments: {} })).toMatchObject({
      content: [{ type: 'text', text: 'This is a simple text response for testing.' }],
    });
    // Over stdio there is no stream to close: the tool just answers.
    expect(await client.callTool({ name: 'test_reconnection', arguments: {} })).toMatchObject({ content: [{ type: 'text' }] });
    const { contents } = await client.readResource({ uri: 'test://template/42/data' });
    expect(contents[0]).toMatchObject({ uri: 'test://template/42/data', mimeType: 'application/json' });
    const prompt = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } });
    expect(JSON.stringify(prompt.messages)).toContain("arg1='a', arg2='b'");

    await client.close();
    client = undefined;
    await waitFor(() => pid !== null && !isAlive(pid), { what: 'the stdio fixture to exit after stdin closed' });
  });
});
