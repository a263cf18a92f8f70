/**
 * `mcp-manager start --stdio`: a desktop client launches the manager as its one server.
 * stdout carries MCP only; closing the client stops the manager and every server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ProcessTracker, descendantsOf, isAlive, waitFor } from '../helpers/processes.js';
import { CLI, echoServer, tempDir, writeConfig } from '../supervisor/harness.js';

const tracker = new ProcessTracker();
let cleanups: (() => void)[] = [];
afterEach(() => {
  tracker.killAll();
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

describe('stdio gateway', () => {
  it('serves every server to a client on stdin/stdout and stops with it', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const config = writeConfig(tmp.dir, echoServer('alpha') + echoServer('beta'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'start', '--stdio', '--config', config, '--state-dir', join(tmp.dir, 'state')],
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'desktop', version: '1' });
    await client.connect(transport);
    const manager = transport.pid!;
    tracker.track(manager);

    // servers come up after the handshake; the catalog follows with list_changed
    const names = await waitFor(
      async () => {
        const tools = (await client.listTools()).tools.map((t) => t.name);
        return tools.includes('alpha__echo') && tools.includes('beta__echo') ? tools : undefined;
      },
      { timeoutMs: 15_000, what: 'both servers listed' },
    );
    expect(names).toContain('beta__add');
    const result = (await client.callTool({ name: 'alpha__echo', arguments: { text: 'over stdio' } })) as CallToolResult;
    expect(result.content).toEqual([{ type: 'text', text: 'over stdio' }]);
    // logs went to stderr, never into the MCP stream
    expect(stderr).toContain('mcp-manager started');

    const children = descendantsOf(manager);
    expect(children.length).toBeGreaterThanOrEqual(2);
    await client.close();
    await waitFor(() => !isAlive(manager), { timeoutMs: 15_000, what: 'the manager to exit' });
    expect(children.filter(isAlive)).toEqual([]);
  });
});
