/**
 * `start --daemon` on the real manager (the built CLI): it returns once every server has
 * settled, printing the summary; its output goes to logs/manager.log; `stop` waits for it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { readLockPid } from '../../src/state/lock.js';
import { isProcessAlive } from '../../src/transports/process-group.js';
import { CLI, echoServer, runManager, writeConfig } from '../supervisor/harness.js';
import { shortTempDir } from '../control/helpers.js';
import { testContext } from './context.js';

const self = { command: process.execPath, args: [CLI] };

describe('start --daemon', () => {
  let dir: string;
  let stateDir: string;
  let cleanup: () => void;
  let daemonPid: number | null = null;

  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
    stateDir = join(dir, 'state');
  });
  afterEach(async () => {
    // A failed test must not leave a detached process behind.
    if (daemonPid !== null && (await isProcessAlive(daemonPid))) process.kill(daemonPid, 'SIGKILL');
    daemonPid = null;
    cleanup();
  });

  it('returns once every server has settled, printing the summary; the log is manager.log; stop waits for it', async () => {
    const config = writeConfig(dir, echoServer('alpha') + echoServer('broken', { FIXTURE_EXIT_ON_START: '3' }, 'max_restarts: 0'));
    const ctx = testContext(stateDir, { self });
    expect(await runCli(['start', '--daemon', '--config', config, '--state-dir', stateDir], ctx)).toBe(0);
    daemonPid = readLockPid(stateDir);
    expect(daemonPid).not.toBeNull();
    const logFile = join(stateDir, 'logs', 'manager.log');
    const out = ctx.stdout();
    expect(out).toContain(`mcp-manager started in the background (pid ${daemonPid}); log: ${logFile}\n`);
    // the summary: every server settled, the broken one down with its reason
    expect(out).toMatch(/alpha\s+healthy/);
    expect(out).toMatch(/broken\s+failed/);
    expect(out).not.toMatch(/starting|restarting/);

    // the daemon's own log went to the file, once per line (not also through its stderr)
    const log = readFileSync(logFile, 'utf8');
    const started = log.split('\n').filter((l) => l.includes('"msg":"mcp-manager started"'));
    expect(started).toHaveLength(1);

    const stop = testContext(stateDir);
    expect(await runCli(['stop', '--state-dir', stateDir], stop)).toBe(0);
    expect(stop.stdout()).toBe(`mcp-manager stopped (pid ${daemonPid})\n`);
    expect(await isProcessAlive(daemonPid!)).toBe(false);
    expect(readFileSync(logFile, 'utf8')).toContain('"msg":"stopped"');
  });

  it('exits 1 with the tail of manager.log when the manager fails during startup', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'servers:\n  x:\n    comand: nope\n');
    const ctx = testContext(stateDir, { self });
    expect(await runCli(['start', '--daemon', '--config', config, '--state-dir', stateDir], ctx)).toBe(1);
    expect(ctx.stdout()).toBe('');
    expect(ctx.stderr()).toContain('mcp-manager: mcp-manager exited with code 1 during startup');
    expect(ctx.stderr()).toContain(`last lines of ${join(stateDir, 'logs', 'manager.log')}:`);
    expect(ctx.stderr()).toContain('comand');
    expect(existsSync(join(stateDir, 'manager.pid'))).toBe(false);
  });

  it('refuses at once when a live manager holds the state dir', async () => {
    const config = writeConfig(dir, echoServer('alpha'));
    const running = await runManager(config, stateDir);
    try {
      const ctx = testContext(stateDir, { self });
      expect(await runCli(['start', '--daemon', '--config', config, '--state-dir', stateDir], ctx)).toBe(1);
      expect(ctx.stderr()).toBe(
        `mcp-manager: mcp-manager is already running (pid ${process.pid}) with state dir ${stateDir}; ` +
          'stop it with "mcp-manager stop" or use another --state-dir\n',
      );
    } finally {
      await running.manager.stop();
    }
  });
});
