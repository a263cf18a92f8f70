import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagerError } from '../../src/errors.js';
import { MAX_SOCKET_PATH_BYTES, ensureStateDir, lockFileOf, logFileOf, resolveStateDir, socketPathOf } from '../../src/state/paths.js';
import { shortTempDir } from '../control/helpers.js';

describe('resolveStateDir', () => {
  const base = { cwd: '/work', homedir: '/home/u' };

  it('prefers --state-dir, resolved against cwd', () => {
    const env = { MCP_MANAGER_HOME: '/mm', XDG_STATE_HOME: '/xdg' };
    expect(resolveStateDir({ ...base, env, flag: 'state' })).toBe('/work/state');
    expect(resolveStateDir({ ...base, env, flag: '/abs' })).toBe('/abs');
    expect(resolveStateDir({ ...base, env, flag: '~/s' })).toBe('/home/u/s');
  });

  it('then MCP_MANAGER_HOME, then $XDG_STATE_HOME/mcp-manager, then ~/.local/state/mcp-manager', () => {
    expect(resolveStateDir({ ...base, env: { MCP_MANAGER_HOME: '/mm', XDG_STATE_HOME: '/xdg' } })).toBe('/mm');
    expect(resolveStateDir({ ...base, env: { MCP_MANAGER_HOME: '', XDG_STATE_HOME: '/xdg' } })).toBe('/xdg/mcp-manager');
    expect(resolveStateDir({ ...base, env: {} })).toBe('/home/u/.local/state/mcp-manager');
  });

  it('ignores a relative XDG_STATE_HOME, as the XDG spec requires', () => {
    expect(resolveStateDir({ ...base, env: { XDG_STATE_HOME: 'rel' } })).toBe('/home/u/.local/state/mcp-manager');
  });
});

describe('state dir files', () => {
  let cleanup = (): void => undefined;
  afterEach(() => cleanup());

  it('ensureStateDir creates the dir and logs/ with mode 0700', () => {
    const tmp = shortTempDir();
    cleanup = tmp.cleanup;
    const dir = join(tmp.dir, 'a', 'state');
    ensureStateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'logs')).mode & 0o777).toBe(0o700);
    ensureStateDir(dir); // idempotent
  });

  it('names the socket, lock and log files', () => {
    expect(socketPathOf('/s')).toBe('/s/control.sock');
    expect(lockFileOf('/s')).toBe('/s/manager.pid');
    expect(logFileOf('/s', 'github')).toBe('/s/logs/github.log');
  });

  it('refuses a log name that would leave logs/', () => {
    for (const name of ['../x', 'a/b', '..', '']) {
      expect(() => logFileOf('/s', name)).toThrow(/invalid server name/);
    }
  });

  it('fails clearly when the socket path would be too long', () => {
    const dir = `/${'d'.repeat(MAX_SOCKET_PATH_BYTES)}`;
    let caught: unknown;
    try {
      socketPathOf(dir);
    } catch (error) {
      caught = error;
    }
    expect(ManagerError.is(caught)).toBe(true);
    expect((caught as ManagerError).message).toMatch(/too long for a unix socket.*shorter --state-dir/);
    // The longest path that fits is accepted.
    const fits = `/${'d'.repeat(MAX_SOCKET_PATH_BYTES - '/control.sock'.length - 1)}`;
    expect(socketPathOf(fits)).toHaveLength(MAX_SOCKET_PATH_BYTES);
  });
});
