/**
 * The state dir is ours alone: one writable by others or owned by someone else is
 * refused with the fix, a planted `logs` symlink is never followed, log files are 0600.
 */
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { ensureStateDir } from '../../src/state/paths.js';
import { openLogFile } from '../../src/state/safe-files.js';
import { startManager } from '../../src/supervisor/start.js';
import { waitFor } from '../helpers/processes.js';
import { echoServer, tempDir, writeConfig } from '../supervisor/harness.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dir(): string {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  return tmp.dir;
}

describe('state dir safety', () => {
  it('refuses a state dir writable by others, naming the fix', () => {
    const state = join(dir(), 'state');
    mkdirSync(state);
    chmodSync(state, 0o777);
    expect(() => ensureStateDir(state)).toThrow(/is writable by others \(mode 777\); fix: "chmod 700 /);
  });

  it('refuses a state dir owned by another user, naming the fix', () => {
    // as root: a dir of ours given to "nobody"; otherwise /usr (root's, mode 755)
    let foreign = '/usr';
    if (process.getuid?.() === 0) {
      foreign = join(dir(), 'state');
      mkdirSync(foreign, { mode: 0o700 });
      chownSync(foreign, 65534, 65534);
    }
    const owner = statSync(foreign).uid;
    expect(() => ensureStateDir(foreign)).toThrow(
      new RegExp(`is owned by uid ${owner}, not by this user .*fix: use a state dir of your own`),
    );
  });

  it('refuses a planted logs symlink and writes nothing through it', () => {
    const base = dir();
    const state = join(base, 'state');
    const elsewhere = join(base, 'elsewhere');
    mkdirSync(state, { mode: 0o700 });
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(state, 'logs'));
    expect(() => ensureStateDir(state)).toThrow(/logs is a symlink .*fix: remove the link/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('never opens a log file through a symlink; creates log files 0600', () => {
    const base = dir();
    const target = join(base, 'target');
    writeFileSync(target, '');
    const link = join(base, 'server.log');
    symlinkSync(target, link);
    expect(() => openLogFile(link)).toThrow(/server\.log is a symlink/);
    const fresh = join(base, 'fresh.log');
    closeSync(openLogFile(fresh));
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
  });

  it('a refused state dir stops the manager before any server starts', async () => {
    const base = dir();
    const state = join(base, 'state');
    mkdirSync(state);
    chmodSync(state, 0o757);
    const config = writeConfig(base, echoServer('echo'));
    await expect(startManager({ configFile: config, stateDir: state, logger: silentLogger(), env: process.env })).rejects.toThrow(
      /writable by others/,
    );
    expect(existsSync(join(state, 'logs', 'echo.log'))).toBe(false);
  });

  it('the manager writes its server logs 0600 in a 0700 state dir', async () => {
    const base = dir();
    const state = join(base, 'state');
    const config = writeConfig(base, echoServer('echo'));
    const manager = await startManager({ configFile: config, stateDir: state, logger: silentLogger(), env: process.env });
    try {
      await waitFor(() => existsSync(join(state, 'logs', 'echo.log')), { what: 'the server log' });
      expect(statSync(join(state, 'logs', 'echo.log')).mode & 0o777).toBe(0o600);
      expect(statSync(state).mode & 0o777).toBe(0o700);
      expect(statSync(join(state, 'logs')).mode & 0o777).toBe(0o700);
    } finally {
      await manager.stop();
    }
  });
});

describe('beyond loopback', () => {
  it('without a token, a non-loopback bind is refused before any server starts', async () => {
    const base = dir();
    const state = join(base, 'state');
    const config = writeConfig(base, echoServer('echo'));
    const env = { ...process.env };
    delete env.MCP_MANAGER_TOKEN;
    await expect(
      startManager({ configFile: config, stateDir: state, logger: silentLogger(), env, http: { host: '0.0.0.0', port: 0 } }),
    ).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without a bearer token/);
    // nothing was started: no state dir, no server log
    expect(existsSync(state)).toBe(false);
  });
});
