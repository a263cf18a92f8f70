import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DoctorJson } from '../../src/cli/commands/discovery.js';
import type { DiscoveryListing } from '../../src/cli/reports.js';
import { tildePath } from '../../src/cli/print.js';
import { runCli } from '../../src/cli/run.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import type { ControlHandlers } from '../../src/control/types.js';
import { silentLogger } from '../../src/logger.js';
import { fakeHandlers, shortTempDir } from '../control/helpers.js';
import { testContext, type TestContext } from './context.js';

const ECHO = resolve(import.meta.dirname, '../fixtures/servers/echo.mjs');
const SECRET = 's3cr3t-token-value';

let stateDir: string;
let project: string;
let home: string;
const cleanups: (() => void)[] = [];
let server: ControlServer | undefined;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function write(file: string, text: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

beforeEach(() => {
  const state = shortTempDir();
  stateDir = state.dir;
  cleanups.push(state.cleanup);
  project = tempDir('mm-project-');
  home = tempDir('mm-home-'); // empty: the user's real configs are never read
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function serve(handlers: ControlHandlers): Promise<void> {
  server = await startControlServer({ socketPath: join(stateDir, 'control.sock'), handlers, logger: silentLogger() });
}

function context(): TestContext {
  return testContext(stateDir, { cwd: project, env: { HOME: home, MCP_MANAGER_HOME: stateDir, PATH: process.env.PATH ?? '' } });
}

const listing = (stdout: string): DiscoveryListing => JSON.parse(stdout) as DiscoveryListing;
const doctorJson = (stdout: string): DoctorJson => JSON.parse(stdout) as DoctorJson;
const names = (stdout: string): string[] => listing(stdout).servers.map((s) => s.name);

async function run(argv: string[]): Promise<{ code: number; ctx: TestContext }> {
  const ctx = context();
  const code = await runCli(argv, ctx);
  return { code, ctx };
}

/** `.mcp.json` (echo on line 3, weather on line 7), `package.json` (notes) and `.vscode/mcp.json` (a second echo). */
function writeProject(): void {
  write(
    join(project, '.mcp.json'),
    [
      '{',
      '  "mcpServers": {',
      '    "echo": {',
      '      "command": "node",',
      `      "args": ["server.mjs"], "env": { "API_TOKEN": "${SECRET}" }`,
      '    },',
      '    "weather": { "url": "https://example.com/mcp" }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  write(
    join(project, 'package.json'),
    JSON.stringify(
      { name: 'notes-pkg', version: '1.0.0', mcp: { name: 'notes', description: 'Notes', command: 'node', args: ['notes.mjs'] } },
      null,
      2,
    ),
  );
  write(join(project, '.vscode', 'mcp.json'), '{\n  "servers": {\n    "echo": { "command": "python3", "args": ["-m", "echo"] }\n  }\n}\n');
}

describe('discover: parsing', () => {
  it('exits 2 on unknown flags, a --path without a value and positional arguments', async () => {
    const usage = 'usage: mcp-manager discover [--config FILE] [--path PATH]... [--json] [--state-dir DIR]\n';
    for (const [argv, message] of [
      [['discover', '--bogus'], "unknown option '--bogus'"],
      // discovery keeps no cache, so there is nothing to rescan
      [['discover', '--rescan'], "unknown option '--rescan'"],
      [['discover', '--path'], "option '--path' needs a value"],
      [['discover', 'here'], "unexpected argument 'here'"],
      [['discover', '--json=yes'], "option '--json' does not take a value"],
    ] as const) {
      const { code, ctx } = await run([...argv]);
      expect(code, argv.join(' ')).toBe(2);
      expect(ctx.stdout()).toBe('');
      expect(ctx.stderr()).toBe(`mcp-manager: discover: ${message}\n${usage}`);
    }
  });
});

describe('discover without a running manager', () => {
  it('prints NAME TYPE SOURCE FORMAT MANAGED, the shadowed declaration and a summary', async () => {
    writeProject();
    const { code, ctx } = await run(['discover']);
    expect(code).toBe(0);
    const mcp = join(project, '.mcp.json');
    const pkg = join(project, 'package.json');
    const vscode = join(project, '.vscode', 'mcp.json');
    const rows = [
      ['NAME', 'TYPE', 'SOURCE', 'FORMAT', 'MANAGED'],
      ['echo', 'node', `${mcp}:3`, 'mcp-servers', '-'],
      ['weather', 'remote', `${mcp}:7`, 'mcp-servers', '-'],
      ['notes', 'node', `${pkg}:4`, 'package-json', '-'],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    const table = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
    const kept = `${mcp}:3`;
    expect(ctx.stdout()).toBe(
      [
        ...table,
        '',
        'shadowed (same name, lower precedence; not used):',
        `  NAME  ${'KEPT'.padEnd(kept.length)}  SHADOWED`,
        `  echo  ${kept}  ${vscode}:3`,
        '',
        `found 3 servers in 2 files, 1 shadowed; MANAGED unknown: no manager running for state dir ${stateDir}`,
        '',
      ].join('\n'),
    );
    // the shadowing warning is the table above, not repeated on stderr
    expect(ctx.stderr()).toBe('');
    expect(ctx.stdout()).not.toContain(SECRET);
  });

  it('--json prints one document with sources, managed: null and no env values', async () => {
    writeProject();
    const { code, ctx } = await run(['discover', '--json']);
    expect(code).toBe(0);
    expect(ctx.stderr()).toBe('');
    expect(ctx.stdout()).not.toContain(SECRET);
    const doc = listing(ctx.stdout());
    expect(Object.keys(doc)).toEqual(['servers', 'shadowed', 'issues', 'warnings', 'files']);
    expect(doc.servers).toEqual([
      {
        name: 'echo',
        description: null,
        serverType: 'node',
        connectionType: 'stdio',
        command: 'node',
        args: ['server.mjs'],
        url: null,
        envKeys: ['API_TOKEN'],
        enabled: true,
        source: { file: join(project, '.mcp.json'), line: 3, column: 5, format: 'mcp-servers', kind: 'claude-code-project' },
        managed: null,
      },
      {
        name: 'weather',
        description: null,
        serverType: 'remote',
        connectionType: 'http',
        command: null,
        args: [],
        url: 'https://example.com/mcp',
        envKeys: [],
        enabled: true,
        source: { file: join(project, '.mcp.json'), line: 7, column: 5, format: 'mcp-servers', kind: 'claude-code-project' },
        managed: null,
      },
      expect.objectContaining({
        name: 'notes',
        description: 'Notes',
        command: 'node',
        args: ['notes.mjs'],
        source: expect.objectContaining({ file: join(project, 'package.json'), format: 'package-json', kind: 'package-json' }),
        managed: null,
      }),
    ]);
    expect(doc.shadowed).toEqual([
      {
        name: 'echo',
        source: { file: join(project, '.vscode', 'mcp.json'), line: 3, column: 5, format: 'vscode', kind: 'vscode-workspace' },
        by: { file: join(project, '.mcp.json'), line: 3, column: 5, format: 'mcp-servers', kind: 'claude-code-project' },
      },
    ]);
    expect(doc.issues).toEqual([]);
    expect(doc.warnings).toEqual([expect.objectContaining({ file: join(project, '.vscode', 'mcp.json'), path: 'echo' })]);
    expect(doc.files).toContainEqual({ file: join(project, '.mcp.json'), status: 'read', format: 'mcp-servers', servers: 2 });
    expect(doc.files).toContainEqual({ file: join(home, '.claude.json'), status: 'missing', servers: 0 });
  });

  it('reports issues of a broken file on stderr and still exits 0 when other files were read', async () => {
    writeProject();
    const broken = write(join(project, '.cursor', 'mcp.json'), '{ "mcpServers": { "x": ');
    const { code, ctx } = await run(['discover']);
    expect(code).toBe(0);
    expect(ctx.stdout()).toMatch(/^NAME +TYPE +SOURCE +FORMAT +MANAGED\n/);
    expect(ctx.stderr()).toMatch(new RegExp(`^${broken}:1:\\d+: .+\\n$`));
    const json = await run(['discover', '--json']);
    expect(json.code).toBe(0);
    expect(listing(json.ctx.stdout()).issues).toEqual([expect.objectContaining({ file: broken })]);
  });

  it('writes paths under HOME as ~ and says where it looked when nothing is found', async () => {
    project = home;
    const { code, ctx } = await run(['discover']);
    expect(code).toBe(0);
    const out = ctx.stdout().split('\n');
    expect(out[0]).toBe('no MCP servers found; looked in:');
    expect(out).toContain('  ~/.mcp.json (not present)');
    expect(out).toContain('  ~/.claude.json (not present)');
    expect(out).toContain('  ~/.config/Claude/claude_desktop_config.json (not present)');
    expect(out.filter((line) => line === '  ~/.cursor/mcp.json (not present)')).toHaveLength(1);
    expect(ctx.stderr()).toBe('');
  });

  it('reads user-level configs from HOME, shown with ~', async () => {
    write(
      join(home, '.claude.json'),
      '{\n  "mcpServers": {\n    "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] }\n  }\n}\n',
    );
    const { code, ctx } = await run(['discover']);
    expect(code).toBe(0);
    expect(ctx.stdout()).toMatch(/\nmemory +node +~\/\.claude\.json:3 +mcp-servers +-\n/);
  });

  it('--path adds files and directories (relative to the cwd) to the default places', async () => {
    writeProject();
    const extra = tempDir('mm-extra-');
    write(join(extra, 'sub', '.mcp.json'), '{"mcpServers": {"fromdir": {"command": "node"}}}');
    const file = write(
      join(extra, 'claude_desktop_config.json'),
      '{"mcpServers": {"fromfile": {"command": "uvx", "args": ["mcp-server-time"]}}}',
    );
    const { code, ctx } = await run(['discover', '--json', '--path', join(extra, 'sub'), '-p', file]);
    expect(code).toBe(0);
    const doc = listing(ctx.stdout());
    expect(doc.servers.map((s) => s.name)).toEqual(['echo', 'weather', 'fromdir', 'notes', 'fromfile']);
    expect(doc.servers.find((s) => s.name === 'fromfile')?.source.kind).toBe('claude-desktop');

    const relative = await run(['discover', '--json', '--path', 'nested']);
    write(join(project, 'nested', '.mcp.json'), '{"mcpServers": {"nested": {"command": "node"}}}');
    const again = await run(['discover', '--json', '--path', 'nested']);
    expect(names(relative.ctx.stdout())).not.toContain('nested');
    expect(names(again.ctx.stdout())).toContain('nested');
  });

  it('exits 1 when nothing could be read at all', async () => {
    const missing = join(project, 'nope.json');
    const { code, ctx } = await run(['discover', '--path', missing]);
    expect(code).toBe(1);
    expect(ctx.stdout()).toContain(`${missing} (could not be used)`);
    expect(ctx.stderr()).toBe(`${missing}: file not found\nmcp-manager: discover: no file could be read (1 problem)\n`);
    const json = await run(['discover', '--json', '--path', missing]);
    expect(json.code).toBe(1);
    expect(listing(json.ctx.stdout()).issues).toEqual([{ file: missing, path: '', message: 'file not found' }]);
  });

  it('every run reads the files afresh (there is no cache)', async () => {
    writeProject();
    const before = await run(['discover', '--json']);
    write(join(project, '.mcp.json'), '{"mcpServers": {"fresh": {"command": "node"}}}');
    const after = await run(['discover', '--json']);
    expect(after.code).toBe(0);
    expect(names(before.ctx.stdout())).toEqual(['echo', 'weather', 'notes']);
    expect(names(after.ctx.stdout())).toEqual(['fresh', 'echo', 'notes']);
  });

  it('scans the folders the config names in manager.discovery.paths', async () => {
    const extra = tempDir('mm-extra-');
    write(join(extra, 'tools', '.mcp.json'), '{"mcpServers": {"configured": {"command": "node"}}}');
    const config = write(join(extra, 'mcp.yaml'), 'manager:\n  discovery:\n    paths: [./tools]\nservers: {}\n');
    const without = await run(['discover', '--json']);
    expect(names(without.ctx.stdout())).not.toContain('configured');
    for (const argv of [
      ['discover', '--json', '--config', config],
      ['discover', '--json', '-c', config],
    ]) {
      const { code, ctx } = await run(argv);
      expect(code).toBe(0);
      const doc = listing(ctx.stdout());
      expect(doc.servers.find((s) => s.name === 'configured')?.source).toMatchObject({
        file: join(extra, 'tools', '.mcp.json'),
        kind: 'claude-code-project',
      });
      expect(doc.files).toContainEqual(expect.objectContaining({ file: join(extra, 'tools', '.mcp.json'), status: 'read' }));
    }
    // MCP_MANAGER_CONFIG names the config when --config does not
    const ctx = testContext(stateDir, {
      cwd: project,
      env: { HOME: home, MCP_MANAGER_HOME: stateDir, MCP_MANAGER_CONFIG: config, PATH: process.env.PATH ?? '' },
    });
    expect(await runCli(['discover', '--json'], ctx)).toBe(0);
    expect(names(ctx.stdout())).toContain('configured');
  });

  it('reports a config that does not load as an issue and scans the rest', async () => {
    writeProject();
    const config = write(join(project, 'broken.yaml'), 'manager:\n  discovery:\n    paths: 7\n');
    const { code, ctx } = await run(['discover', '--json', '--config', config]);
    expect(code).toBe(0);
    const doc = listing(ctx.stdout());
    expect(doc.issues).toContainEqual(expect.objectContaining({ file: config, path: 'manager.discovery.paths' }));
    expect(doc.servers.map((s) => s.name)).toEqual(['echo', 'weather', 'notes']);
  });
});

describe('discover with a running manager', () => {
  it('MANAGED says yes for the names the manager has, no for the others', async () => {
    writeProject();
    const { handlers, calls } = fakeHandlers(); // manages "echo" and "broken"
    await serve(handlers);
    const human = await run(['discover']);
    expect(human.code).toBe(0);
    expect(human.ctx.stdout()).toMatch(/\necho +node +\S+\.mcp\.json:3 +mcp-servers +yes\n/);
    expect(human.ctx.stdout()).toMatch(/\nweather +remote +\S+ +mcp-servers +no\n/);
    expect(human.ctx.stdout()).toMatch(/\nnotes +node +\S+ +package-json +no\n/);
    expect(human.ctx.stdout()).toContain('\nfound 3 servers in 2 files, 1 shadowed\n');
    expect(human.ctx.stderr()).toBe('');

    const json = await run(['discover', '--json']);
    const managed = Object.fromEntries(listing(json.ctx.stdout()).servers.map((s) => [s.name, s.managed]));
    expect(managed).toEqual({ echo: true, weather: false, notes: false });
    expect(calls).toEqual(['status detailed=false', 'status detailed=false']);
  });

  it('finds the manager through --state-dir', async () => {
    writeProject();
    await serve(fakeHandlers().handlers);
    const ctx = testContext('/nonexistent', { cwd: project, env: { HOME: home, PATH: process.env.PATH ?? '' } });
    expect(await runCli(['--state-dir', stateDir, 'discover', '--json'], ctx)).toBe(0);
    expect(listing(ctx.stdout()).servers[0]?.managed).toBe(true);
  });

  it('warns and leaves MANAGED unknown when the manager fails to answer', async () => {
    writeProject();
    await serve(
      fakeHandlers({
        status: () => {
          throw new Error('supervisor exploded');
        },
      }).handlers,
    );
    const { code, ctx } = await run(['discover', '--json']);
    expect(code).toBe(0);
    expect(ctx.stderr()).toMatch(/^warning: cannot tell which servers are managed: .+\n$/);
    expect(listing(ctx.stdout()).servers.map((s) => s.managed)).toEqual([null, null, null]);
  });
});

describe('doctor', () => {
  function writeConfig(): string {
    return write(
      join(project, 'config.json'),
      JSON.stringify({
        mcpServers: {
          good: { command: process.execPath, args: [ECHO] },
          broken: { command: 'definitely-not-here-xyz' },
        },
      }),
    );
  }

  it('exits 2 on unknown flags and values given to switches', async () => {
    const usage = 'usage: mcp-manager doctor [--config FILE] [--no-handshake] [--json]\n';
    for (const [argv, message] of [
      [['doctor', '--bogus'], "unknown option '--bogus'"],
      [['doctor', '--handshake'], "unknown option '--handshake'"],
      [['doctor', '--no-handshake=1'], "option '--no-handshake' does not take a value"],
      [['doctor', '--config'], "option '--config' needs a value"],
      [['doctor', 'extra'], "unexpected argument 'extra'"],
    ] as const) {
      const { code, ctx } = await run([...argv]);
      expect(code, argv.join(' ')).toBe(2);
      expect(ctx.stderr()).toBe(`mcp-manager: doctor: ${message}\n${usage}`);
    }
  });

  it('prints a checklist per server with the fix for the broken one and exits 1', async () => {
    const file = writeConfig();
    const { code, ctx } = await run(['doctor', '--config', 'config.json']);
    expect(code).toBe(1);
    expect(ctx.stderr()).toBe('');
    expect(ctx.stdout().replace(/initialized in \d+ ms/, 'initialized in N ms')).toBe(
      [
        `✓ config  ${file}: 2 server(s), 2 enabled`,
        '',
        'good',
        `  ✓ command       ${process.execPath} → ${process.execPath}`,
        '  ✓ handshake     fixture-echo 1.0.0 initialized in N ms; 10 tool(s)',
        `  ✓ protocol      protocol version ${LATEST_PROTOCOL_VERSION} (latest)`,
        '  ✓ stdout        only MCP messages on stdout',
        '  ✓ tool_schemas  10 tool schema(s) valid',
        '  ✓ names         10 public tool name(s), e.g. good__add',
        '',
        'broken',
        '  ✗ command  command not found: "definitely-not-here-xyz"',
        '    fix: install it, or give its absolute path in "command"; servers are started without a shell, so shell aliases, ' +
          'functions and PATH changes made in shell startup files do not apply',
        '    cause: command_not_found',
        '',
        '1 problem found',
        '',
      ].join('\n'),
    );
  });

  it('--json prints the report as one document', async () => {
    const file = writeConfig();
    const { code, ctx } = await run(['doctor', '--json', '-c', file]);
    expect(code).toBe(1);
    const doc = doctorJson(ctx.stdout());
    expect(doc).toMatchObject({ file, handshake: true, ok: false });
    expect(doc.checks.map((c) => `${c.server ?? '-'} ${c.check} ${c.ok}`)).toEqual([
      '- config true',
      'good command true',
      'good handshake true',
      'good protocol true',
      'good stdout true',
      'good tool_schemas true',
      'broken command false',
      'good names true',
    ]);
    expect(doc.checks).toContainEqual({
      server: 'broken',
      check: 'command',
      ok: false,
      detail: 'command not found: "definitely-not-here-xyz"',
      fix: expect.stringContaining('install it'),
      cause: 'command_not_found',
    });
  });

  it('--no-handshake only resolves the commands; all good exits 0', async () => {
    writeConfig();
    const skipped = await run(['doctor', '-c', 'config.json', '--no-handshake', '--json']);
    expect(skipped.code).toBe(1);
    const doc = doctorJson(skipped.ctx.stdout());
    expect(doc.handshake).toBe(false);
    expect(doc.checks.map((c) => c.check)).toEqual(['config', 'command', 'command']);

    const good = write(join(project, 'good.json'), JSON.stringify({ mcpServers: { good: { command: process.execPath, args: [ECHO] } } }));
    const { code, ctx } = await run(['doctor', '-c', good, '--no-handshake']);
    expect(code).toBe(0);
    expect(ctx.stdout()).toBe(
      [
        `✓ config  ${good}: 1 server(s), 1 enabled`,
        '',
        'good',
        `  ✓ command  ${process.execPath} → ${process.execPath}`,
        '',
        'all checks passed (servers not started: --no-handshake)',
        '',
      ].join('\n'),
    );
  });

  it('a config that does not load is one failed check listing every issue', async () => {
    const bad = write(join(project, 'bad.json'), '{"mcpServers": {"a": {"comand": "x"}}}');
    const { code, ctx } = await run(['doctor', '-c', bad, '--no-handshake']);
    expect(code).toBe(1);
    const lines = ctx.stdout().split('\n');
    expect(lines[0]).toBe('✗ config  2 problems:');
    expect(lines[1]).toMatch(new RegExp(`^ {4}${bad}:1:\\d+: mcpServers\\.a: `));
    expect(lines[2]).toMatch(/unknown key "comand"/);
    expect(lines[3]).toBe('  fix: correct the config file at the places listed (mcp-manager validate shows the same)');
    expect(lines.at(-2)).toBe('1 problem found (servers not started: --no-handshake)');
  });

  it('takes the config from $MCP_MANAGER_CONFIG when --config is not given', async () => {
    const good = write(join(project, 'env.json'), JSON.stringify({ mcpServers: { solo: { command: process.execPath } } }));
    const ctx = testContext(stateDir, { cwd: project, env: { HOME: home, PATH: process.env.PATH ?? '', MCP_MANAGER_CONFIG: 'env.json' } });
    expect(await runCli(['doctor', '--no-handshake', '--json'], ctx)).toBe(0);
    expect(doctorJson(ctx.stdout())).toMatchObject({ file: good, ok: true });
  });
});

describe('help and completion', () => {
  it('list discover and doctor after validate, with their options', async () => {
    const { ctx } = await run(['help']);
    const names = ctx
      .stdout()
      .split('\n')
      .map((line) => /^ {2}([a-z-]+) /.exec(line)?.[1])
      .filter((name) => name !== undefined);
    expect(names.slice(names.indexOf('validate'), names.indexOf('validate') + 3)).toEqual(['validate', 'discover', 'doctor']);
    const discoverHelp = await run(['help', 'discover']);
    expect(discoverHelp.ctx.stdout()).toMatch(/^usage: mcp-manager discover \[--config FILE\] \[--path PATH\]\.\.\. \[--json\]/);
    expect(discoverHelp.ctx.stdout()).toContain('manager.discovery.paths');
    const doctorHelp = await run(['doctor', '--help']);
    expect(doctorHelp.code).toBe(0);
    expect(doctorHelp.ctx.stdout()).toContain('--no-handshake');
    const completion = await run(['completion', 'bash']);
    expect(completion.ctx.stdout()).toContain('      discover) words="--config -c --path -p --json --state-dir" ;;');
    expect(completion.ctx.stdout()).toContain('      doctor) words="--config -c --no-handshake --json" ;;');
  });
});

describe('tildePath', () => {
  it('writes the home directory as ~ only for whole path components', () => {
    expect(tildePath('/home/ann/.claude.json', '/home/ann')).toBe('~/.claude.json');
    expect(tildePath('/home/ann', '/home/ann/')).toBe('~');
    expect(tildePath('/home/anna/.claude.json', '/home/ann')).toBe('/home/anna/.claude.json');
    expect(tildePath('/etc/mcp.json', '/')).toBe('/etc/mcp.json');
  });
});
