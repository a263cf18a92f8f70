/**
 * Real clients of each protocol era against the gateway's Streamable HTTP endpoint, with
 * the dual-era conformance fixture behind it: each sees the same tools and can call them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as Sdk1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as Sdk1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';
import { DUAL_FIXTURE } from '../conformance/dual-fixture.js';

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
  { label: 'v2 client, legacy mode', era: 'legacy', connect: (url) => v2Client(url, 'legacy') },
  { label: '1.x SDK client', era: 'legacy', connect: sdk1Client },
];

describe('clients of each era through the gateway (dual-era backend over stdio)', () => {
  let m: Running;
  let cleanup: () => void;
  let expectedTools: string[];

  beforeAll(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const config = writeConfig(tmp.dir, `  dual:\n    command: ${process.execPath}\n    args: ["${DUAL_FIXTURE}", "stdio"]\n    prefix: ""\n`);
    m = await runManager(config, join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
    await m.waitState('dual', 'healthy');
    // What the backend itself offers, asked directly over stdio by a 2025-era client.
    const direct = new Client({ name: 'era-test-direct', version: '1.0.0' });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [DUAL_FIXTURE, 'stdio'] }));
    expectedTools = (await direct.listTools()).tools.map((tool) => tool.name).toSorted();
    await direct.close();
  });

  afterAll(async () => {
    await m?.manager.stop();
    cleanup();
  });

  it.each(CLIENTS)('$label: lands on its era, sees every backend tool and calls them', async ({ era, connect }) => {
    const client = await connect(m.manager.gatewayUrl!);
    try {
      expect(client.era()).toBe(era);
      expect((await client.toolNames()).toSorted()).toEqual(expectedTools);
      await expect(client.callText('test_simple_text')).resolves.toBe('This is a simple text response for testing.');
      await expect(client.callText('json_schema_2020_12_tool', { name: 'n', email: 'e' })).resolves.toBe('Received: {"name":"n","email":"e"}');
    } finally {
      await client.close();
    }
  });
});
