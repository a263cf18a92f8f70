import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/load.js';
import { formatConfigIssue } from '../../src/errors.js';

const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../config');

async function read(name: string, env: NodeJS.ProcessEnv) {
  const result = await readConfig(path.join(CONFIG_DIR, name), { env });
  if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join('\n'));
  return result;
}

describe('config/default.yaml', () => {
  it('loads with no issues and no warnings, and every server entry file exists', async () => {
    const { config, warnings } = await read('default.yaml', { HOME: '/home/me' });
    expect(warnings).toEqual([]);
    expect(config.servers.map((s) => s.name)).toEqual(['memory', 'filesystem', 'sequential-thinking', 'everything', 'task-runner']);
    for (const server of config.servers) {
      expect(server).toMatchObject({ enabled: true, connectionType: 'stdio', command: 'node', serverType: 'node', cwd: CONFIG_DIR });
      const entry = path.resolve(server.cwd ?? '', server.args[0] ?? '');
      expect(existsSync(entry), `${server.name}: ${entry}`).toBe(true);
    }
    expect(existsSync(path.join(CONFIG_DIR, 'sandbox'))).toBe(true);
  });

  it('puts the memory file in the state dir the CLI would pick', async () => {
    const memoryFile = async (env: NodeJS.ProcessEnv) => (await read('default.yaml', env)).config.servers[0]?.env.MEMORY_FILE_PATH;
    expect(await memoryFile({ HOME: '/home/me' })).toBe('/home/me/.local/state/mcp-manager/memory.jsonl');
    expect(await memoryFile({ XDG_STATE_HOME: '/xdg' })).toBe('/xdg/mcp-manager/memory.jsonl');
    expect(await memoryFile({ MCP_MANAGER_HOME: '/m' })).toBe('/m/memory.jsonl');
    expect(await memoryFile({ MEMORY_FILE_PATH: '/x/m.jsonl' })).toBe('/x/m.jsonl');
  });

  it('loads with the real environment', async () => {
    const result = await readConfig(path.join(CONFIG_DIR, 'default.yaml'));
    expect(result.ok ? [] : result.issues.map(formatConfigIssue)).toEqual([]);
  });
});

describe('config/mcp-servers.json', () => {
  it('loads with an empty environment: every server disabled, unset keys recorded', async () => {
    const { config, warnings } = await read('mcp-servers.json', {});
    expect(warnings).toEqual([]);
    expect(config.servers.length).toBeGreaterThanOrEqual(12);
    expect(config.servers.filter((s) => s.enabled)).toEqual([]);
    const github = config.servers.find((s) => s.name === 'github');
    expect(github).toMatchObject({ unsetVariables: ['GITHUB_TOKEN'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_TOKEN}' } });
    expect(config.servers.find((s) => s.name === 'context7')).toMatchObject({ connectionType: 'http', serverType: 'remote' });
  });

  it('resolves the keys when they are set', async () => {
    const { config } = await read('mcp-servers.json', { GITHUB_TOKEN: 'ghp_test' });
    const github = config.servers.find((s) => s.name === 'github');
    expect(github?.env).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_test' });
    expect(github?.unsetVariables).toBeUndefined();
  });
});
