/**
 * `connect` / `disconnect` against temp HOME dirs laid out like each client's on Linux (the
 * built CLI) and macOS (the platform passed in): the file written is in the shape the
 * client's documentation shows and it reaches the manager; the backup restores the file byte
 * for byte; `--move` leaves no server configured twice.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { connectTarget } from '../../src/cli/connect-client.js';
import { MANAGER_NODE_FLAGS } from '../../src/cli/heap.js';
import { runCli } from '../../src/cli/run.js';
import { descendantsOf, isAlive, waitFor } from '../helpers/processes.js';
import { CLI, ECHO, echoServer, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';
import { testContext } from './context.js';

const run = promisify(execFile);

let dir: string;
let cleanup: () => void;
let running: Running | undefined;
let client: Client | undefined;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  await running?.manager.stop();
  running = undefined;
  cleanup();
});

/** The environment of a user whose HOME is `home` (no XDG/APPDATA of the machine). */
function userEnv(home: string, stateDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(XDG_|APPDATA|MCP_MANAGER|VITEST|NO_COLOR|FORCE_COLOR)/.test(key)) env[key] = value;
  }
  return { ...env, HOME: home, MCP_MANAGER_HOME: stateDir };
}

async function cli(args: string[], env: Record<string, string>, cwd = dir): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function put(file: string, text: string): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return text;
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

async function toolsOver(transport: StdioClientTransport | StreamableHTTPClientTransport, expected: string): Promise<string[]> {
  client = new Client({ name: 'a client', version: '1' });
  await client.connect(transport);
  return waitFor(
    async () => {
      const tools = (await client!.listTools()).tools.map((t) => t.name);
      return tools.includes(expected) ? tools : undefined;
    },
    { timeoutMs: 20_000, what: `${expected} listed` },
  );
}

// each test runs the built CLI several times and starts managers: slow on a busy machine
describe('connect on Linux (the built CLI)', { timeout: 120_000 }, () => {
  it('claude-desktop: mcpServers with our stdio command, indentation kept; the client reaches the servers; disconnect restores the bytes', async () => {
    const home = join(dir, 'home');
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, echoServer('alpha'));
    const file = join(home, '.config', 'Claude', 'claude_desktop_config.json');
    const original = put(
      file,
      '{\n    "globalShortcut": "Ctrl+Space",\n    "mcpServers": {\n        "notes": { "command": "npx", "args": ["-y", "notes-mcp"] }\n    }\n}\n',
    );
    const env = userEnv(home, stateDir);
    const serveState = join(dir, 'serve-state');

    const connected = await cli(['connect', 'claude-desktop', '--config', config, '--state-dir', serveState, '--json'], env);
    expect(connected.stderr).toBe('');
    expect(connected.code).toBe(0);
    // the manager's V8 flags ride along (the test process runs without them)
    const expectedEntry = {
      command: process.execPath,
      args: [...MANAGER_NODE_FLAGS, CLI, 'start', '--stdio', '--config', config, '--state-dir', serveState],
    };
    // the shape of Claude Desktop's documentation: { mcpServers: { name: { command, args } } }
    expect(readJson(file)).toEqual({ globalShortcut: 'Ctrl+Space', mcpServers: { 'mcp-manager': expectedEntry } });
    expect(readFileSync(file, 'utf8')).toMatch(/^\{\n {4}"globalShortcut": "Ctrl\+Space",\n {4}"mcpServers": \{\n {8}"mcp-manager": \{/);
    const report = JSON.parse(connected.stdout) as { file: string; backup: string; replaced: string[]; transport: string };
    expect(report).toMatchObject({ file, transport: 'stdio', replaced: ['notes'] });
    expect(readFileSync(report.backup, 'utf8')).toBe(original);

    // what Claude Desktop does with it: run the command and speak MCP on stdio
    const entry = (readJson(file) as { mcpServers: Record<string, { command: string; args: string[] }> }).mcpServers['mcp-manager']!;
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      env: { PATH: process.env.PATH ?? '' },
      stderr: 'ignore',
    });
    const tools = await toolsOver(transport, 'alpha__echo');
    expect(tools).toContain('alpha__add');
    const served = transport.pid!;
    const children = descendantsOf(served);
    await client!.close();
    client = undefined;
    // the client closing its stdin ends the manager and its servers
    await waitFor(() => !isAlive(served), { timeoutMs: 15_000, what: 'the stdio manager to exit' });
    await waitFor(() => children.every((pid) => !isAlive(pid)), { timeoutMs: 15_000, what: 'its servers to exit' });

    // the record and the backup live in the state dir connect was given
    const disconnected = await cli(['disconnect', 'claude-desktop', '--state-dir', serveState, '--json'], env);
    expect(disconnected.code).toBe(0);
    expect(JSON.parse(disconnected.stdout)).toMatchObject({ action: 'restored', file });
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(readdirSync(join(serveState, 'connect'))).toEqual([]);

    const again = await cli(['disconnect', 'claude-desktop', '--state-dir', serveState], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Claude Desktop is not connected');
  });

  it('claude-desktop --http is a usage error (it reads only stdio servers from its file)', async () => {
    const result = await cli(['connect', 'claude-desktop', '--http'], userEnv(join(dir, 'home'), join(dir, 'state')));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('use --stdio');
    expect(existsSync(join(dir, 'home'))).toBe(false);
  });

  it("connect --move takes the client's servers into the running manager's config first: none is configured twice", async () => {
    const home = join(dir, 'home');
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, echoServer('alpha'));
    const before = readFileSync(config, 'utf8');
    running = await runManager(config, stateDir);
    await running.waitState('alpha', 'healthy');
    const file = join(home, '.config', 'Claude', 'claude_desktop_config.json');
    put(
      file,
      JSON.stringify(
        {
          mcpServers: {
            // the same server as our alpha: already configured, not added again
            'alpha-copy': { command: process.execPath, args: [ECHO] },
            notes: { command: process.execPath, args: [ECHO, '--notes'], env: { NOTES_TOKEN: 'ghp_notesTokenValue0123456789abcdef' } },
          },
        },
        null,
        2,
      ),
    );

    const result = await cli(['connect', 'claude-desktop', '--move', '--json'], userEnv(home, stateDir));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      config: string;
      replaced: string[];
      moved: { imported: { name: string }[]; skipped: { name: string; reason: string }[]; reload: { status: string } };
    };
    expect(report.config).toBe(config);
    expect(report.replaced.sort()).toEqual(['alpha-copy', 'notes']);
    expect(report.moved.imported.map((i) => i.name)).toEqual(['notes']);
    expect(report.moved.skipped).toEqual([expect.objectContaining({ name: 'alpha-copy', reason: 'already configured as "alpha"' })]);
    expect(report.moved.reload.status).toBe('applied');

    // our config: the old servers kept as written, notes added (its token in the env file the config now names)
    const yaml = readFileSync(config, 'utf8');
    expect(yaml).toContain(before.slice(before.indexOf('servers:')));
    expect(yaml).toContain('env_file: config.env');
    expect(readFileSync(join(dir, 'config.env'), 'utf8')).toContain('ghp_notesTokenValue0123456789abcdef');
    expect(yaml).not.toContain('ghp_notesTokenValue');
    // the client: mcp-manager alone
    const clientServers = (readJson(file) as { mcpServers: Record<string, unknown> }).mcpServers;
    expect(Object.keys(clientServers)).toEqual(['mcp-manager']);
    // nothing runs twice: every command line appears once across both files
    const ours = Object.values((parseYaml(yaml) as { servers: Record<string, { command: string; args?: string[] }> }).servers);
    const runs = [...ours, ...Object.values(clientServers as Record<string, { command: string; args?: string[] }>)].map((s) =>
      JSON.stringify([s.command, s.args ?? []]),
    );
    expect(new Set(runs).size).toBe(runs.length);
    // the running manager picked the moved server up without restarting alpha
    const alphaPid = (await running.server('alpha')).pid;
    await running.waitState('notes', 'healthy');
    expect((await running.server('alpha')).pid).toBe(alphaPid);
  });
});

describe('connect on macOS (platform passed in)', () => {
  it('vscode --http: servers with type http and the gateway URL, tabs kept; a client reaches it; disconnect restores the bytes', async () => {
    const home = join(dir, 'home');
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, echoServer('alpha'));
    running = await runManager(config, stateDir, { http: { host: '127.0.0.1', port: 0 } });
    await running.waitState('alpha', 'healthy');
    const url = running.manager.gatewayUrl!;
    const file = join(home, 'Library', 'Application Support', 'Code', 'User', 'mcp.json');
    const original = put(
      file,
      '{\n\t"servers": {\n\t\t"old": {\n\t\t\t"type": "stdio",\n\t\t\t"command": "old-mcp"\n\t\t}\n\t},\n\t"inputs": []\n}',
    );
    const ctx = testContext(stateDir, { env: { HOME: home, MCP_MANAGER_HOME: stateDir }, cwd: dir, platform: 'darwin' });

    expect(await runCli(['connect', 'vscode', '--http', '--json'], ctx)).toBe(0);
    // VS Code's documented shape: { servers: { name: { type: "http", url } } }
    expect(readJson(file)).toEqual({ servers: { 'mcp-manager': { type: 'http', url } }, inputs: [] });
    expect(readFileSync(file, 'utf8')).toMatch(/^\{\n\t"servers": \{\n\t\t"mcp-manager": \{\n\t\t\t"type": "http",/);
    expect(readFileSync(file, 'utf8').endsWith('}')).toBe(true);

    const entry = (readJson(file) as { servers: Record<string, { url: string }> }).servers['mcp-manager']!;
    expect(await toolsOver(new StreamableHTTPClientTransport(new URL(entry.url)), 'alpha__echo')).toContain('alpha__echo');

    expect(await runCli(['disconnect', 'vscode'], ctx)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('cursor: mcpServers with the URL in ~/.cursor/mcp.json; with no file before, disconnect removes it', async () => {
    const home = join(dir, 'home');
    const stateDir = join(dir, 'state');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `manager:\n  http: 127.0.0.1:3999\nservers: {}\n`);
    const ctx = testContext(stateDir, { env: { HOME: home, MCP_MANAGER_HOME: stateDir }, cwd: dir, platform: 'darwin' });
    const file = join(home, '.cursor', 'mcp.json');

    expect(await runCli(['connect', 'cursor', '--http', '--config', config], ctx)).toBe(0);
    expect(readJson(file)).toEqual({ mcpServers: { 'mcp-manager': { url: 'http://127.0.0.1:3999/mcp' } } });
    expect(ctx.stdout()).toContain('there was no file before');

    expect(await runCli(['disconnect', 'cursor'], ctx)).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('claude-desktop: the file under ~/Library/Application Support/Claude', async () => {
    const home = join(dir, 'home');
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, echoServer('alpha'));
    const ctx = testContext(stateDir, {
      env: { HOME: home, MCP_MANAGER_HOME: stateDir },
      cwd: dir,
      platform: 'darwin',
      self: { command: '/usr/local/bin/mcp-manager', args: [] },
    });
    expect(await runCli(['connect', 'claude-desktop', '--config', config], ctx)).toBe(0);
    const file = join(home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json');
    expect(readJson(file)).toEqual({
      mcpServers: { 'mcp-manager': { command: '/usr/local/bin/mcp-manager', args: ['start', '--stdio', '--config', config] } },
    });
  });
});

describe('connect claude-code', () => {
  it('~/.claude.json: only the top-level mcpServers changes; a file the client changed since gets only its servers back', async () => {
    const home = join(dir, 'home');
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, echoServer('alpha'));
    const file = join(home, '.claude.json');
    const state = {
      numStartups: 3,
      projects: { [dir]: { allowedTools: [], mcpServers: {} } },
      mcpServers: { github: { type: 'stdio', command: 'gh-mcp', args: [] } },
    };
    put(file, JSON.stringify(state, null, 2));
    const ctx = testContext(stateDir, {
      env: { HOME: home, MCP_MANAGER_HOME: stateDir },
      cwd: dir,
      self: { command: '/opt/bin/mcp-manager', args: [] },
    });

    expect(await runCli(['connect', 'claude-code', '--config', config], ctx)).toBe(0);
    // Claude Code's documented shape: { mcpServers: { name: { type: "stdio", command, args } } }
    expect(readJson(file)).toEqual({
      ...state,
      mcpServers: { 'mcp-manager': { type: 'stdio', command: '/opt/bin/mcp-manager', args: ['start', '--stdio', '--config', config] } },
    });
    expect(ctx.stderr()).toContain('replaced github');

    // Claude Code writes its own state into the file meanwhile
    const changed = { ...(readJson(file) as Record<string, unknown>), numStartups: 4 };
    writeFileSync(file, JSON.stringify(changed, null, 2));
    const after = testContext(stateDir, { env: ctx.env, cwd: dir });
    expect(await runCli(['disconnect', 'claude-code', '--json'], after)).toBe(0);
    expect(JSON.parse(after.stdout())).toMatchObject({ action: 'servers-restored', file });
    expect(readJson(file)).toEqual({ ...state, numStartups: 4 });
  });

  it('a ~/.claude.json that links into a dotfiles folder stays a link; the file it points to is edited and restored', async () => {
    const home = join(dir, 'home');
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, echoServer('alpha'));
    const real = join(dir, 'dotfiles', 'claude.json');
    const original = put(real, JSON.stringify({ numStartups: 1, mcpServers: {} }, null, 2));
    mkdirSync(home);
    symlinkSync(real, join(home, '.claude.json'));
    const ctx = testContext(stateDir, { env: { HOME: home, MCP_MANAGER_HOME: stateDir }, cwd: dir });

    expect(await runCli(['connect', 'claude-code', '--config', config], ctx)).toBe(0);
    expect(lstatSync(join(home, '.claude.json')).isSymbolicLink()).toBe(true);
    expect(Object.keys((readJson(real) as { mcpServers: object }).mcpServers)).toEqual(['mcp-manager']);
    expect(await runCli(['disconnect', 'claude-code'], ctx)).toBe(0);
    expect(lstatSync(join(home, '.claude.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(original);
  });

  it("--project: the project's .mcp.json with type http", async () => {
    const stateDir = join(dir, 'state');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `manager:\n  http: 127.0.0.1:3998\nservers: {}\n`);
    const project = join(dir, 'project');
    mkdirSync(project);
    const ctx = testContext(stateDir, { env: { HOME: join(dir, 'home'), MCP_MANAGER_HOME: stateDir }, cwd: project });
    expect(await runCli(['connect', 'claude-code', '--project', '--http', '--config', config], ctx)).toBe(0);
    expect(readJson(join(project, '.mcp.json'))).toEqual({
      mcpServers: { 'mcp-manager': { type: 'http', url: 'http://127.0.0.1:3998/mcp' } },
    });
    expect(await runCli(['disconnect', 'claude-code', '--project'], ctx)).toBe(0);
    expect(existsSync(join(project, '.mcp.json'))).toBe(false);
  });
});

describe('connect again', () => {
  it('--move after a plain connect still takes the servers the first one replaced; disconnect restores the first backup', async () => {
    const home = join(dir, 'home');
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, echoServer('alpha'));
    const file = join(home, '.cursor', 'mcp.json');
    const original = put(file, JSON.stringify({ mcpServers: { gh: { command: process.execPath, args: [ECHO, '--gh'] } } }, null, 2) + '\n');
    const env = { HOME: home, MCP_MANAGER_HOME: stateDir };

    const first = testContext(stateDir, { env, cwd: dir, platform: 'linux' });
    expect(await runCli(['connect', 'cursor', '--config', config], first)).toBe(0);
    expect(first.stderr()).toContain('replaced gh');
    expect(readFileSync(config, 'utf8')).not.toContain('gh:');

    const second = testContext(stateDir, { env, cwd: dir, platform: 'linux' });
    expect(await runCli(['connect', 'cursor', '--move', '--config', config, '--json'], second)).toBe(0);
    const report = JSON.parse(second.stdout()) as { moved: { imported: { name: string }[] } };
    expect(report.moved.imported.map((i) => i.name)).toEqual(['gh']);
    expect(parseYaml(readFileSync(config, 'utf8'))).toMatchObject({ servers: { gh: { command: process.execPath, args: [ECHO, '--gh'] } } });

    const last = testContext(stateDir, { env, cwd: dir, platform: 'linux' });
    expect(await runCli(['disconnect', 'cursor', '--json'], last)).toBe(0);
    expect(JSON.parse(last.stdout())).toMatchObject({ action: 'restored', moved: ['gh'] });
    expect(readFileSync(file, 'utf8')).toBe(original);
  });
});

describe('client files on Windows', () => {
  it('are under %APPDATA% (Claude Desktop, VS Code) and %USERPROFILE% (Claude Code, Cursor)', () => {
    const env = { USERPROFILE: 'C:\\Users\\ada', APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' };
    const where = (client: 'claude-desktop' | 'claude-code' | 'vscode' | 'cursor') =>
      connectTarget(client, { env, cwd: 'C:\\work', platform: 'win32', project: false });
    expect(where('claude-desktop')).toEqual({
      file: 'C:\\Users\\ada\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
      key: 'mcpServers',
    });
    expect(where('vscode')).toEqual({ file: 'C:\\Users\\ada\\AppData\\Roaming\\Code\\User\\mcp.json', key: 'servers' });
    expect(where('claude-code')).toEqual({ file: 'C:\\Users\\ada\\.claude.json', key: 'mcpServers' });
    expect(where('cursor')).toEqual({ file: 'C:\\Users\\ada\\.cursor\\mcp.json', key: 'mcpServers' });
  });
});
