import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe as group, expect, it } from 'vitest';
import {
  mcpServersFormat,
  packageJsonFormat,
  pyprojectFormat,
  vscodeFormat,
  formatFor,
  mcpManagerFormat,
} from '../../src/discovery/formats/index.js';
import { requirementName } from '../../src/discovery/formats/pyproject.js';
import { FIXTURES, describe, readFixture, tempDir, writeFile } from './helpers.js';

const at = (dir: string) => path.join(FIXTURES, dir);
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

group('format detection', () => {
  it('picks the module by file name and place, and generic JSON by content', () => {
    expect(formatFor('/p/.vscode/mcp.json')).toBe(vscodeFormat);
    expect(formatFor('/home/u/.config/Code/User/mcp.json')).toBe(vscodeFormat);
    expect(formatFor('/p/.cursor/mcp.json')).toBe(mcpServersFormat);
    expect(formatFor('/p/.mcp.json')).toBe(mcpServersFormat);
    expect(formatFor('/home/u/.claude.json')).toBe(mcpServersFormat);
    expect(formatFor('/p/package.json')).toBe(packageJsonFormat);
    expect(formatFor('/p/pyproject.toml')).toBe(pyprojectFormat);
    expect(formatFor('/p/mcp-manager.yaml')).toBe(mcpManagerFormat);
    expect(formatFor('/p/other.json', '{"servers": {}}')).toBe(vscodeFormat);
    expect(formatFor('/p/other.json', '{"mcpServers": {}}')).toBe(mcpServersFormat);
    expect(formatFor('/p/other.json', '{"manager": {}, "servers": {}}')).toBe(mcpManagerFormat);
    expect(formatFor('/p/notes.txt', 'hello')).toBeUndefined();
  });
});

group('Claude Desktop (mcpServers form)', () => {
  it('reads every server with env, interpolation, disabled flag and the line of its name', async () => {
    const result = await readFixture('claude-desktop/claude_desktop_config.json');
    expect(result.format).toBe('mcp-servers');
    expect(result.issues).toEqual([]);
    // the app's own settings (globalShortcut) are not ours to judge: no warning
    expect(result.warnings).toEqual([]);
    expect(result.servers.map((s) => [s.name, s.source.line, s.source.column, s.source.kind, s.serverType, s.config.enabled])).toEqual([
      ['filesystem', 4, 5, 'claude-desktop', 'node', true],
      ['github', 8, 5, 'claude-desktop', 'node', true],
      ['weather', 16, 5, 'claude-desktop', 'python', true],
      ['linear', 20, 5, 'claude-desktop', 'node', false],
    ]);
    const github = result.servers[1]!;
    expect(github.config.env).toEqual({
      GITHUB_PERSONAL_ACCESS_TOKEN: 'fixture-token-not-a-secret',
      GITHUB_API_URL: 'https://api.github.com',
    });
    expect(github.config.command).toBe('npx');
    expect(github.config.args).toEqual(['-y', '@modelcontextprotocol/server-github']);
    expect(github.source.file).toBe(at('claude-desktop/claude_desktop_config.json'));
    // normalized like any config: defaults filled in
    expect(github.config.restart).toBe('permanent');
    expect(github.config.startupTimeoutMs).toBe(30_000);
  });

  it('keeps the good servers of a file with bad entries and reports each problem at its line', async () => {
    const result = await readFixture('claude-desktop-bad/claude_desktop_config.json');
    expect(result.servers.map((s) => s.name)).toEqual(['good']);
    expect(result.issues.map(describe)).toEqual([
      '9:15 mcpServers.bad-args.args: expected a list of strings, got "-y @modelcontextprotocol/server-memory"',
      '11:5 mcpServers.typo: missing "command" (required for a stdio server)',
      '12:7 mcpServers.typo: unknown key "comand" (did you mean "command"?)',
    ]);
    for (const issue of result.issues) expect(issue.file).toBe(at('claude-desktop-bad/claude_desktop_config.json'));
  });

  it('reads ~/.claude.json: user servers and the local servers of the current project', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const project = path.join(dir, 'work', 'app');
    const file = writeFile(
      path.join(dir, '.claude.json'),
      JSON.stringify(
        {
          numStartups: 12,
          mcpServers: { time: { type: 'stdio', command: 'uvx', args: ['mcp-server-time'] } },
          projects: {
            [project]: { allowedTools: [], mcpServers: { db: { command: 'node', args: ['db.mjs'], env: { DB: 'app' } } } },
            '/elsewhere': { mcpServers: { other: { command: 'node' } } },
          },
        },
        null,
        2,
      ),
    );
    const result = await readFixture(file, { cwd: project, env: { HOME: dir } });
    expect(result.issues).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.servers.map((s) => [s.name, s.source.kind, s.source.line])).toEqual([
      ['db', 'claude-code-local', 16],
      ['time', 'claude-code-user', 4],
    ]);
    expect(result.servers[0]!.config.env).toEqual({ DB: 'app' });
  });

  it('reads nothing, and complains about nothing, when the settings file has no servers', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = writeFile(path.join(dir, 'Claude', 'claude_desktop_config.json'), '{\n  "globalShortcut": ""\n}\n');
    const result = await readFixture(file);
    expect(result).toMatchObject({ servers: [], issues: [], warnings: [] });
  });
});

group('VS Code (.vscode/mcp.json)', () => {
  it('reads type, envFile and workspace variables; reports ${input:...} as unresolvable', async () => {
    const file = at('project/.vscode/mcp.json');
    const result = await readFixture(file);
    expect(result.format).toBe('vscode');
    expect(result.servers.map((s) => [s.name, s.source.line, s.serverType, s.config.connectionType])).toEqual([
      ['fetch', 20, 'python', 'stdio'],
      ['copilot', 29, 'remote', 'http'],
      ['local-script', 33, 'python', 'stdio'],
      ['editors', 38, 'node', 'stdio'],
    ]);
    // the input placeholder is an issue at its column, and the server is not passed on with the raw text
    expect(result.issues.map(describe)).toEqual([
      '17:32 servers.perplexity.env.PERPLEXITY_API_KEY: unresolvable input placeholder ${input:perplexity-key} (inputs are prompted by VS Code; pass the value through an environment variable instead)',
    ]);
    const [fetch, copilot, script] = result.servers;
    // envFile first, then env on top
    expect(fetch!.config.env).toEqual({
      FETCH_USER_AGENT: 'from-env',
      FETCH_TIMEOUT: '30',
      FETCH_PROXY: 'http://proxy.local:3128',
      FETCH_NOTE: 'single # not a comment',
    });
    expect(copilot!.config.url).toBe('https://api.githubcopilot.com/mcp/');
    expect(script!.config.args).toEqual([path.join(at('project'), 'tools/server.py')]);
    // a workspace server runs in the workspace folder, not in .vscode/
    expect(script!.config.cwd).toBe(at('project'));
    expect(result.warnings.map((w) => `${path.basename(w.file)} ${describe(w)}`)).toEqual([
      '.env.mcp 6:1 : expected KEY=value; line skipped (envFile of server "fetch")',
      'mcp.json 36:7 servers.local-script.dev: ignored key "dev" (VS Code development mode: watch and debug are not supported here)',
    ]);
  });

  it('reports a missing envFile, an envFile that is the config itself and unset variables, keeping the rest', async () => {
    const file = at('vscode-bad/.vscode/mcp.json');
    const result = await readFixture(file, { env: {} });
    expect(result.servers.map((s) => s.name)).toEqual(['fine']);
    expect(result.issues.map(describe)).toEqual([
      `6:7 servers.missing-env.envFile: envFile "\${workspaceFolder}/.env.missing" (${at('vscode-bad/.env.missing')}): file not found`,
      `11:7 servers.self-env.envFile: envFile ".vscode/mcp.json" is this config file itself (${file}); expected a separate .env file`,
      '15:42 servers.unset-var.args[2]: variable FIXTURE_UNSET_TOKEN is not set (write ${FIXTURE_UNSET_TOKEN:-default} to give a default)',
    ]);
  });

  it('catches an envFile that reaches the config file through a symlink', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = writeFile(
      path.join(dir, '.vscode', 'mcp.json'),
      '{\n  "servers": {\n    "loop": { "command": "node", "envFile": "env-link" }\n  }\n}\n',
    );
    const { symlinkSync } = await import('node:fs');
    symlinkSync(file, path.join(dir, 'env-link'));
    const text = readFileSync(file, 'utf8');
    const { createReadContext } = await import('../../src/discovery/scan.js');
    const context = { ...createReadContext({ env: {}, cwd: dir }), realPath: file };
    const result = await vscodeFormat.read(file, text, context);
    expect(result.servers).toEqual([]);
    expect(result.issues.map(describe)).toEqual([
      `3:34 servers.loop.envFile: envFile "env-link" is this config file itself (${file}); expected a separate .env file`,
    ]);
  });
});

group('package.json', () => {
  it('takes a bin of a package that depends on the MCP SDK', async () => {
    const result = await readFixture('node-bin/package.json');
    expect(result.issues).toEqual([]);
    expect(result.warnings).toEqual([]);
    // weather-cli does not look like a server: only weather-mcp is taken
    expect(result.servers).toHaveLength(1);
    const [server] = result.servers;
    expect(server).toMatchObject({
      name: 'weather-mcp',
      serverType: 'node',
      source: { line: 7, column: 5, format: 'package-json', kind: 'package-json' },
    });
    expect(server!.config.command).toBe('node');
    expect(server!.config.args).toEqual([at('node-bin/bin/server.mjs')]);
    expect(server!.config.cwd).toBe(at('node-bin'));
  });

  it('takes the explicit mcp field', async () => {
    const result = await readFixture('node-mcp-field/package.json');
    expect(result.issues).toEqual([]);
    expect(result.servers).toHaveLength(1);
    expect(result.servers[0]).toMatchObject({
      name: 'notes',
      serverType: 'node',
      source: { line: 8, column: 3 },
      config: {
        command: 'node',
        args: ['server.mjs', '--root', './notes'],
        env: { NOTES_READONLY: '1' },
        description: 'Notes kept on disk',
        cwd: at('node-mcp-field'),
      },
    });
  });

  it('reports a bad mcp field at the lines of its keys', async () => {
    const result = await readFixture('node-mcp-field-bad/package.json');
    expect(result.servers).toEqual([]);
    expect(result.issues.map(describe)).toEqual([
      '4:3 mcp: expected exactly one of "bin" or "command"',
      '5:5 mcp: unknown key "comand" (expected name, description, bin, command, args, env)',
      '6:13 mcp.args: expected a list of strings',
    ]);
  });

  it('finds nothing in a package that is not an MCP server, and warns about a bin not built yet', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const plain = writeFile(
      path.join(dir, 'plain', 'package.json'),
      JSON.stringify({ name: 'x', bin: { x: 'x.js' }, dependencies: { zod: '4' } }),
    );
    expect(await readFixture(plain)).toMatchObject({ servers: [], issues: [], warnings: [] });
    const unbuilt = writeFile(
      path.join(dir, 'unbuilt', 'package.json'),
      JSON.stringify({ name: '@x/srv', bin: 'build/index.js', dependencies: { fastmcp: '3' } }, null, 2),
    );
    const result = await readFixture(unbuilt);
    expect(result.servers.map((s) => [s.name, s.config.command, s.config.args, s.serverType])).toEqual([
      ['srv', 'node', [path.join(dir, 'unbuilt', 'build/index.js')], 'node'],
    ]);
    expect(result.warnings.map(describe)).toEqual([
      `3:10 bin: bin "srv": ${path.join(dir, 'unbuilt', 'build/index.js')} does not exist yet (build the package first?)`,
    ]);
  });

  it('reports an mcp.bin that the package does not have', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', bin: { a: 'a.js' }, mcp: { bin: 'b' } }, null, 2));
    const result = await readFixture(file);
    expect(result.issues.map(describe)).toEqual(['7:12 mcp.bin: no bin named "b" in this package (bins: "a")']);
  });
});

group('pyproject.toml', () => {
  it('takes a script of a project depending on mcp; without uv or a venv it must be on PATH (warning)', async () => {
    const result = await readFixture('python/pyproject.toml', { env: { PATH: '/nonexistent-bin' } });
    expect(result.issues).toEqual([]);
    expect(result.servers.map((s) => [s.name, s.config.command, s.config.args, s.serverType, s.source.line])).toEqual([
      ['weather-server', 'weather-server', [], 'python', 13],
    ]);
    expect(result.servers[0]!.config.cwd).toBe(at('python'));
    expect(result.warnings.map(describe)).toEqual([
      `13:1 project.scripts.weather-server: uv is not on PATH and ${at('python/.venv/bin/weather-server')} does not exist: "weather-server" must be installed on PATH`,
    ]);
  });

  it('runs the script through uv when uv is on PATH, and from .venv when that exists', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeFile(path.join(dir, 'bin', 'uv'), '#!/bin/sh\nexit 0\n', 0o755);
    const withUv = await readFixture('python/pyproject.toml', { env: { PATH: path.join(dir, 'bin') } });
    expect(withUv.warnings).toEqual([]);
    expect(withUv.servers.map((s) => [s.config.command, s.config.args])).toEqual([
      ['uv', ['run', '--project', at('python'), 'weather-server']],
    ]);

    const project = path.join(dir, 'project');
    cpSync(at('python'), project, { recursive: true });
    const script = writeFile(path.join(project, '.venv', 'bin', 'weather-server'), '#!/usr/bin/env python3\n', 0o755);
    const withVenv = await readFixture(path.join(project, 'pyproject.toml'), { env: { PATH: path.join(dir, 'bin') } });
    expect(withVenv.servers.map((s) => [s.config.command, s.config.args, s.serverType])).toEqual([[script, [], 'python']]);
  });

  it('warns about a project that depends on fastmcp but has no script, and reports bad TOML at its line', async () => {
    const none = await readFixture('python-no-scripts/pyproject.toml');
    expect(none.servers).toEqual([]);
    expect(none.warnings.map(describe)).toEqual([
      '1:1 project.scripts: depends on mcp but declares no console script; add one under [project.scripts] (e.g. my-server = "my_package.server:main") to make the server discoverable',
    ]);
    const bad = await readFixture('python-bad-toml/pyproject.toml');
    expect(bad.issues.map(describe)).toEqual(['5:5 : invalid TOML: invalid value']);
  });

  it('normalizes requirement names', () => {
    expect(requirementName('mcp[cli]>=1.2.0,<2')).toBe('mcp');
    expect(requirementName('FastMCP>=2.3')).toBe('fastmcp');
    expect(requirementName('mcp_server.tools ; python_version>"3.9"')).toBe('mcp-server-tools');
  });
});

group('our YAML', () => {
  it('reads servers through the loader, with a bad manager section reported but not hiding servers', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = writeFile(
      path.join(dir, 'mcp-manager.yaml'),
      'manager:\n  log_level: loud\nservers:\n  a:\n    command: node\n    args: [a.mjs]\n  b:\n    command: python3\n    server_type: binary\n  c:\n    args: [x]\n',
    );
    const result = await readFixture(file);
    expect(result.servers.map((s) => [s.name, s.serverType, s.source.line])).toEqual([
      ['a', 'node', 4],
      ['b', 'binary', 7], // server_type written in the file wins over detection
    ]);
    expect(result.issues.map(describe)).toEqual([
      '2:14 manager.log_level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
      '10:3 servers.c: missing "command" (required for a stdio server)',
    ]);
  });
});
