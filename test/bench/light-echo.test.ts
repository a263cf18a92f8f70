import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { lightEchoCommand } from '../../bench/lib/light-echo.js';

const cache = mkdtempSync(join(tmpdir(), 'light-echo-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('light-echo fixture (the 1,000-server benchmark backend)', () => {
  it('compiles and speaks MCP to a real SDK client: initialize, tools/list, tools/call, ping', async () => {
    const { command, args } = lightEchoCommand(cache);
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StdioClientTransport({ command, args }));
    try {
      expect(client.getServerVersion()?.name).toBe('light-echo');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['echo']);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'a "quoted" line\nand more' } });
      expect(result.content).toEqual([{ type: 'text', text: 'a "quoted" line\nand more' }]);
      await expect(client.ping()).resolves.toBeDefined();
      await expect(client.listPrompts()).rejects.toThrow(/Method not found/);
    } finally {
      await client.close();
    }
  });
});
