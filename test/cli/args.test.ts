import { describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/cli/args.js';
import { parseCompletionArgs } from '../../src/cli/commands/completion.js';
import { parseReloadArgs, parseValidateArgs } from '../../src/cli/commands/config.js';
import { parseCallArgs, parseCapabilitiesArgs } from '../../src/cli/commands/gateway.js';
import { parseHealthArgs } from '../../src/cli/commands/health.js';
import { parseStartArgs, parseStopArgs } from '../../src/cli/commands/lifecycle.js';
import { parseLogsArgs } from '../../src/cli/commands/logs.js';
import { parseServerActionArgs, parseStatusArgs } from '../../src/cli/commands/servers.js';
import { ManagerError } from '../../src/errors.js';

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (ManagerError.is(error) && error.code === 'USAGE') return error.message;
    throw error;
  }
  throw new Error('expected a USAGE error, nothing was thrown');
}

describe('start arguments', () => {
  it('has calm defaults', () => {
    expect(parseStartArgs([])).toEqual({ daemon: false, stdio: false });
  });

  it('reads every option', () => {
    expect(parseStartArgs(['--config', 'c.yaml', '--daemon', '--state-dir', 's', '--http', '0.0.0.0:8080'])).toEqual({
      configFile: 'c.yaml',
      daemon: true,
      stateDir: 's',
      http: { host: '0.0.0.0', port: 8080 },
      stdio: false,
    });
    expect(parseStartArgs(['-c', 'x.yaml', '--stdio'])).toEqual({ configFile: 'x.yaml', daemon: false, stdio: true });
  });

  it('reports usage errors in one line', () => {
    expect(usage(() => parseStartArgs(['--bogus']))).toBe("unknown option '--bogus'");
    expect(usage(() => parseStartArgs(['--config']))).toBe("option '--config' needs a value");
    expect(usage(() => parseStartArgs(['--daemon=yes']))).toBe("option '--daemon' does not take a value");
    expect(usage(() => parseStartArgs(['now']))).toBe("unexpected argument 'now'");
    expect(usage(() => parseStartArgs(['--daemon', '--stdio']))).toMatch(/--daemon and --stdio cannot be combined/);
    expect(usage(() => parseStartArgs(['--http', 'localhost']))).toBe("--http expects HOST:PORT, got 'localhost'");
  });
});

describe('HOST:PORT', () => {
  it('accepts host:port, [ipv6]:port, :port and port', () => {
    expect(parseHostPort('--http', '127.0.0.1:3000')).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(parseHostPort('--http', 'localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseHostPort('--http', '[::1]:3000')).toEqual({ host: '::1', port: 3000 });
    expect(parseHostPort('--http', ':3000')).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(parseHostPort('--http', '3000')).toEqual({ host: '127.0.0.1', port: 3000 });
  });

  it('rejects the rest', () => {
    expect(usage(() => parseHostPort('--http', 'host:70000'))).toMatch(/port must be 0-65535/);
    for (const bad of ['host:', 'host:port', '::1:80', 'a:b:1', '']) {
      expect(usage(() => parseHostPort('--http', bad))).toMatch(/expects HOST:PORT/);
    }
  });
});

describe('server commands', () => {
  it('need exactly one NAME', () => {
    expect(parseServerActionArgs(['github'])).toEqual({ name: 'github' });
    expect(parseServerActionArgs(['--state-dir', '/s', 'github'])).toEqual({ name: 'github', stateDir: '/s' });
    expect(usage(() => parseServerActionArgs([]))).toBe('missing NAME');
    expect(usage(() => parseServerActionArgs(['a', 'b']))).toBe("unexpected argument 'b'");
    expect(usage(() => parseServerActionArgs(['../etc']))).toBe("invalid server name '../etc'");
  });

  it('status and stop take only their flags', () => {
    expect(parseStatusArgs(['--detailed', '--json'])).toEqual({ detailed: true, json: true });
    expect(usage(() => parseStatusArgs(['--verbose']))).toBe("unknown option '--verbose'");
    expect(parseStopArgs([])).toEqual({});
    expect(usage(() => parseStopArgs(['now']))).toBe("unexpected argument 'now'");
  });
});

describe('logs arguments', () => {
  it('default to the last 50 lines without following', () => {
    expect(parseLogsArgs(['echo'])).toEqual({ name: 'echo', follow: false, lines: 50 });
    expect(parseLogsArgs(['echo', '-n', '5', '-f'])).toEqual({ name: 'echo', follow: true, lines: 5 });
    expect(parseLogsArgs(['echo', '--lines', '0'])).toEqual({ name: 'echo', follow: false, lines: 0 });
  });

  it('reject a bad count; NAME is optional', () => {
    expect(usage(() => parseLogsArgs(['echo', '--lines', 'ten']))).toBe("--lines expects a non-negative integer, got 'ten'");
    expect(usage(() => parseLogsArgs(['echo', '--lines', '-3']))).toMatch(/^option '--lines' needs a value/);
    expect(usage(() => parseLogsArgs(['echo', '--lines=-3']))).toBe("--lines expects a non-negative integer, got '-3'");
    // without NAME: the manager's own log
    expect(parseLogsArgs(['--follow'])).toEqual({ follow: true, lines: 50 });
  });
});

describe('validate and completion arguments', () => {
  it('validate takes --config and --json', () => {
    expect(parseValidateArgs(['--config', 'a.yaml', '--json'])).toEqual({ configFile: 'a.yaml', json: true });
    expect(usage(() => parseValidateArgs(['a.yaml']))).toBe("unexpected argument 'a.yaml'");
  });

  it('completion knows three shells', () => {
    expect(parseCompletionArgs(['fish'])).toEqual({ shell: 'fish' });
    expect(usage(() => parseCompletionArgs(['tcsh']))).toBe("unsupported shell 'tcsh' (expected bash, zsh, fish)");
    expect(usage(() => parseCompletionArgs([]))).toBe('missing SHELL');
  });
});

describe('capabilities, health, call and reload arguments', () => {
  it('capabilities and health take an optional --server', () => {
    expect(parseCapabilitiesArgs([])).toEqual({ json: false });
    expect(parseCapabilitiesArgs(['--server', 'echo', '--json', '--state-dir', '/s'])).toEqual({
      server: 'echo',
      json: true,
      stateDir: '/s',
    });
    expect(parseHealthArgs(['-s', 'echo'])).toEqual({ server: 'echo', json: false });
    expect(usage(() => parseHealthArgs(['echo']))).toBe("unexpected argument 'echo'");
    expect(usage(() => parseCapabilitiesArgs(['--server', '../x']))).toBe("invalid server name '../x'");
  });

  it('call needs SERVER and TOOL; --args is a JSON object, {} by default', () => {
    expect(parseCallArgs(['echo', 'add'])).toEqual({ server: 'echo', tool: 'add', args: {}, json: false });
    expect(parseCallArgs(['echo', 'add', '--args', '{"a": 1, "b": [2]}', '--json'])).toEqual({
      server: 'echo',
      tool: 'add',
      args: { a: 1, b: [2] },
      json: true,
    });
    expect(usage(() => parseCallArgs([]))).toBe('missing SERVER');
    expect(usage(() => parseCallArgs(['echo']))).toBe('missing TOOL');
    expect(usage(() => parseCallArgs(['echo', '']))).toBe('TOOL must not be empty');
    expect(usage(() => parseCallArgs(['echo', 'add', 'extra']))).toBe("unexpected argument 'extra'");
    expect(usage(() => parseCallArgs(['echo', 'add', '--args', '']))).toMatch(/^--args is not valid JSON: /);
    expect(usage(() => parseCallArgs(['echo', 'add', '--args', '{"a":']))).toMatch(/^--args is not valid JSON: /);
    expect(usage(() => parseCallArgs(['echo', 'add', '--args', 'true']))).toMatch(/^--args must be a JSON object .*, got a boolean$/);
  });

  it('reload takes only --state-dir', () => {
    expect(parseReloadArgs([])).toEqual({});
    expect(parseReloadArgs(['--state-dir', '/s'])).toEqual({ stateDir: '/s' });
    expect(usage(() => parseReloadArgs(['--json']))).toBe("unknown option '--json'");
  });
});
