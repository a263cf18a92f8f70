import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { ConfigError } from '../../src/errors.js';
import { testContext } from './context.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('runCli: help, version and usage errors', () => {
  it('exits 2 with the usage on stderr when there is no command', async () => {
    const ctx = testContext('/nonexistent');
    expect(await runCli([], ctx)).toBe(2);
    expect(ctx.stdout()).toBe('');
    expect(ctx.stderr()).toMatch(/^usage: mcp-manager <command> \[options\]/);
  });

  it('exits 2 on an unknown command, with a one-line hint', async () => {
    const ctx = testContext('/nonexistent');
    expect(await runCli(['frobnicate'], ctx)).toBe(2);
    expect(ctx.stderr()).toBe(
      'mcp-manager: unknown command \'frobnicate\'\nusage: mcp-manager <command> [options]   (see "mcp-manager help")\n',
    );
  });

  it("exits 2 on an unknown flag, with the command's usage", async () => {
    const ctx = testContext('/nonexistent');
    expect(await runCli(['status', '--bogus'], ctx)).toBe(2);
    expect(ctx.stderr()).toBe(
      "mcp-manager: status: unknown option '--bogus'\nusage: mcp-manager status [--detailed] [--json] [--watch] [--state-dir DIR]\n",
    );
  });

  it('exits 2 when NAME is missing', async () => {
    for (const command of ['start-server', 'stop-server', 'restart-server']) {
      const ctx = testContext('/nonexistent');
      expect(await runCli([command], ctx)).toBe(2);
      expect(ctx.stderr()).toMatch(new RegExp(`^mcp-manager: ${command}: missing NAME\\nusage: mcp-manager ${command} NAME`));
    }
  });

  it('prints help for help, --help, -h and COMMAND --help', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const ctx = testContext('/nonexistent');
      expect(await runCli(argv, ctx)).toBe(0);
      expect(ctx.stdout()).toMatch(/^usage: mcp-manager <command>/);
      expect(ctx.stdout()).toContain('  restart-server  ');
    }
    for (const argv of [
      ['help', 'logs'],
      ['logs', '--help'],
      ['logs', 'x', '-h'],
    ]) {
      const ctx = testContext('/nonexistent');
      expect(await runCli(argv, ctx)).toBe(0);
      expect(ctx.stdout()).toMatch(/^usage: mcp-manager logs \[NAME\] \[--follow\] \[--lines N\]/);
      expect(ctx.stdout()).toContain('-n, --lines N');
    }
    const ctx = testContext('/nonexistent');
    expect(await runCli(['help', 'nope'], ctx)).toBe(2);
  });

  it('prints the package version', async () => {
    const ctx = testContext('/nonexistent');
    expect(await runCli(['--version'], ctx)).toBe(0);
    expect(ctx.stdout()).toBe(`${version}\n`);
  });

  it('prints completion scripts naming every command', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const ctx = testContext('/nonexistent');
      expect(await runCli(['completion', shell], ctx)).toBe(0);
      for (const command of ['start', 'restart-server', 'logs', 'validate']) expect(ctx.stdout()).toContain(command);
    }
  });
});

describe('runCli validate (with a stub readConfig)', () => {
  const issues = [
    { file: '/cfg/bad.yaml', path: 'servers.a.command', line: 4, column: 5, message: 'expected a string, got 42' },
    { file: '/cfg/bad.yaml', path: 'servers.b', line: 9, column: 3, message: 'unknown key "comand"' },
  ];

  it('prints every issue to stderr and exits 1', async () => {
    const seen: string[] = [];
    const ctx = testContext('/cfg', {
      readConfig: (file) => {
        seen.push(file);
        return Promise.resolve({ ok: false, issues });
      },
    });
    expect(await runCli(['validate', '--config', 'bad.yaml'], ctx)).toBe(1);
    expect(seen).toEqual(['/cfg/bad.yaml']); // resolved against cwd
    expect(ctx.stdout()).toBe('');
    expect(ctx.stderr()).toBe(
      '/cfg/bad.yaml:4:5: servers.a.command: expected a string, got 42\n/cfg/bad.yaml:9:3: servers.b: unknown key "comand"\n',
    );
  });

  it('prints "<file>: OK (N servers)" and exits 0', async () => {
    const ctx = testContext('/cfg', {
      env: { MCP_MANAGER_CONFIG: '/cfg/env.yaml' },
      readConfig: (file) =>
        Promise.resolve({
          ok: true,
          config: { file, manager: { logLevel: 'info', shutdownTimeoutMs: 1 }, servers: [{}, {}] } as never,
          warnings: [{ file, path: 'servers.x', message: 'deprecated' }],
        }),
    });
    expect(await runCli(['validate'], ctx)).toBe(0);
    expect(ctx.stdout()).toBe('/cfg/env.yaml: OK (2 servers)\n');
    expect(ctx.stderr()).toBe('warning: /cfg/env.yaml: servers.x: deprecated\n');
  });

  it('--json prints {file, ok, issues, warnings}', async () => {
    const ctx = testContext('/cfg', { readConfig: () => Promise.resolve({ ok: false, issues }) });
    expect(await runCli(['validate', '--config', '/cfg/bad.yaml', '--json'], ctx)).toBe(1);
    expect(JSON.parse(ctx.stdout())).toEqual({ file: '/cfg/bad.yaml', ok: false, issues, warnings: [] });
    expect(ctx.stderr()).toBe('');
  });

  it('reports a thrown ConfigError as issues', async () => {
    const ctx = testContext('/cfg', { readConfig: () => Promise.reject(new ConfigError(issues)) });
    expect(await runCli(['validate', '-c', 'x.yaml'], ctx)).toBe(1);
    expect(ctx.stderr().split('\n')).toHaveLength(3);
  });
});
