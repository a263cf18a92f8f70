/**
 * Real clients of each protocol era against the gateway's Streamable HTTP endpoint, with
 * upstreams of each era behind it, over stdio and over HTTP: the dual-era conformance
 * fixture, the same fixture refusing the 2025 era (a modern-only upstream), and the
 * 2025-only conformance fixture on the 1.x SDK (a legacy-only upstream), all on the default
 * `protocol: auto`. Every client sees the tools of every upstream and can call each of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as Sdk1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as Sdk1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ProcessTracker, waitFor } from '../helpers/processes.js';
import { REPO, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';
import { DUAL_FIXTURE, startDualFixtureHttp } from '../conformance/dual-fixture.js';

const LEGACY_FIXTURE = join(REPO, 'test/fixtures/servers/conformance.mjs');

/** What every kind of client is asked to do: list the tools, call one. */
interface EraClient {
  era(): string | undefined;
  toolNames(): Promise<string[]>;
  callText(name: string, args?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

type V2Mode = 'legacy' | 'auto' | { pin: '2026-07-28' };

async function v2Client(url: string, mode: V2Mode): Promise<EraClient> {
  const client = new Client({ name: 'era-test', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    era: () => client.getProtocolEra(),
    toolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
    callText: async (name, args = {}) => textOf((await client.callTool({ name, arguments: args })).content),
    close: () => client.close(),
  };
}

async function sdk1Client(url: string): Promise<EraClient> {
  const client = new Sdk1Client({ name: 'era-test-1x', version: '1.0.0' });
  await client.connect(new Sdk1HttpTransport(new URL(url)));
  return {
    era: () => 'legacy', // 1.x speaks nothing else
    toolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
    callText: async (name, args = {}) => textOf((await client.callTool({ name, arguments: args })).content),
    close: () => client.close(),
  };
}

function textOf(content: unknown): string {
  const first = Array.isArray(content) ? (content[0] as { type?: string; text?: string } | undefined) : undefined;
  if (first?.type !== 'text' || typeof first.text !== 'string') throw new Error(`expected text content, got ${JSON.stringify(content)}`);
  return first.text;
}

const CLIENTS: readonly { label: string; era: string; connect: (url: string) => Promise<EraClient> }[] = [
  { label: 'v2 client, auto mode', era: 'modern', connect: (url) => v2Client(url, 'auto') },
  { label: 'v2 client, pinned to 2026-07-28', era: 'modern', connect: (url) => v2Client(url, { pin: '2026-07-28' }) },
  { label: 'v2 client, legacy mode', era: 'legacy', connect: (url) => v2Client(url, 'legacy') },
  { label: '1.x SDK client', era: 'legacy', connect: sdk1Client },
];

/** The 1.x conformance fixture over HTTP, tracked for cleanup; resolves to its URL. */
async function startLegacyFixtureHttp(tracker: ProcessTracker): Promise<string> {
  const backend = spawn(process.execPath, [LEGACY_FIXTURE, 'http', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  tracker.track(backend.pid);
  let stderr = '';
  backend.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr)?.[1], {
    timeoutMs: 15_000,
    what: 'the legacy fixture to listen',
  });
}

const stdioEntry = (script: string, ...args: string[]) =>
  Promise.resolve(`    command: ${process.execPath}\n    args: [${[script, 'stdio', ...args].map((arg) => `"${arg}"`).join(', ')}]\n`);
const httpEntry = (url: string) => `    connection_type: http\n    url: "${url}"\n`;

/** Upstreams by server name (tools are prefixed `<name>__`), and which fixture each runs. */
const UPSTREAMS: readonly { name: string; fixture: 'dual' | 'legacy'; entry: (tracker: ProcessTracker) => Promise<string> }[] = [
  { name: 'dualstdio', fixture: 'dual', entry: () => stdioEntry(DUAL_FIXTURE) },
  { name: 'dualhttp', fixture: 'dual', entry: async (tracker) => httpEntry(await startDualFixtureHttp(tracker)) },
  { name: 'modernstdio', fixture: 'dual', entry: () => stdioEntry(DUAL_FIXTURE, '--modern-only') },
  { name: 'modernhttp', fixture: 'dual', entry: async (tracker) => httpEntry(await startDualFixtureHttp(tracker, ['--modern-only'])) },
  { name: 'legacystdio', fixture: 'legacy', entry: () => stdioEntry(LEGACY_FIXTURE) },
  { name: 'legacyhttp', fixture: 'legacy', entry: async (tracker) => httpEntry(await startLegacyFixtureHttp(tracker)) },
];

/** The tool names a fixture offers, asked directly over stdio by a 2025-era client. */
async function fixtureTools(script: string): Promise<string[]> {
  const direct = new Client({ name: 'era-test-direct', version: '1.0.0' });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: [script, 'stdio'] }));
  try {
    return (await direct.listTools()).tools.map((tool) => tool.name);
  } finally {
    await direct.close();
  }
}

describe('clients of each era through the gateway, upstreams of each era behind it', () => {
  const tracker = new ProcessTracker();
  let m: Running;
  let cleanup: () => void;
  let expectedTools: string[];

  beforeAll(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const entries = await Promise.all(UPSTREAMS.map(async ({ name, entry }) => `  ${name}:\n${await entry(tracker)}`));
    m = await runManager(writeConfig(tmp.dir, entries.join('')), join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
    for (const { name } of UPSTREAMS) await m.waitState(name, 'healthy');
    const tools = { dual: await fixtureTools(DUAL_FIXTURE), legacy: await fixtureTools(LEGACY_FIXTURE) };
    expectedTools = UPSTREAMS.flatMap(({ name, fixture }) => tools[fixture].map((tool) => `${name}__${tool}`)).toSorted();
  }, 60_000);

  afterAll(async () => {
    await m?.manager.stop();
    tracker.killAll();
    cleanup();
  });

  it.each(CLIENTS)('$label: lands on its era, sees the tools of every upstream and calls each', async ({ era, connect }) => {
    const client = await connect(m.manager.gatewayUrl!);
    try {
      expect(client.era()).toBe(era);
      expect((await client.toolNames()).toSorted()).toEqual(expectedTools);
      for (const { name } of UPSTREAMS) {
        await expect(client.callText(`${name}__test_simple_text`), name).resolves.toBe('This is a simple text response for testing.');
      }
      await expect(client.callText('dualhttp__json_schema_2020_12_tool', { name: 'n', email: 'e' })).resolves.toBe(
        'Received: {"name":"n","email":"e"}',
      );
    } finally {
      await client.close();
    }
  });
});
