import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { acquireLock, isProcessAlive, readLockPid } from '../../src/state/lock.js';
import { shortTempDir } from '../control/helpers.js';
import { testContext } from './context.js';

const fakeManager = fileURLToPath(new URL('./fixtures/fake-manager.ts', import.meta.url));
// The child runs in the state dir, so name tsx's loader by absolute URL, not as a package.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const self = { command: process.execPath, args: ['--import', tsxLoader, fakeManager] };

describe('start --daemon', () => {
  let stateDir: string;
  let cleanup: () => void;
  let daemonPid: number | null = null;

  beforeEach(() => {
    ({ dir: stateDir, cleanup } = shortTempDir());
  });
  afterEach(() => {
    // A failed test must not leave a detached process behind.
    if (daemonPid !== null && isProcessAlive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
    daemonPid = null;
    cleanup();
  });

  it('starts the manager detached, waits until it answers, prints its pid; stop stops it', async () => {
    const ctx = testContext(stateDir, { self });
    expect(await runCli(['start', '--daemon', '--config', 'ok.yaml', '--http', '[::1]:9000'], ctx)).toBe(0);
    daemonPid = readLockPid(stateDir);
    expect(daemonPid).not.toBeNull();
    expect(ctx.stdout()).toBe(`mcp-manager started in the background (pid ${daemonPid}); log: ${stateDir}/manager.log\n`);

    // The child got absolute paths and the same options, without --daemon.
    const status = testContext(stateDir);
    expect(await runCli(['status', '--json'], status)).toBe(0);
    expect(JSON.parse(status.stdout())).toMatchObject({ manager: { pid: daemonPid, configFile: `${stateDir}/ok.yaml`, stateDir } });

    const stop = testContext(stateDir);
    expect(await runCli(['stop'], stop)).toBe(0);
    expect(stop.stdout()).toBe(`mcp-manager stopped (pid ${daemonPid})\n`);
    expect(isProcessAlive(daemonPid!)).toBe(false);
  });

  it('exits 1 with the tail of manager.log when the manager dies during startup', async () => {
    const ctx = testContext(stateDir, { self });
    expect(await runCli(['start', '--daemon', '--config', 'fail.yaml'], ctx)).toBe(1);
    expect(ctx.stdout()).toBe('');
    expect(ctx.stderr()).toContain('mcp-manager: mcp-manager exited with code 1 during startup');
    expect(ctx.stderr()).toContain(`last lines of ${stateDir}/manager.log:`);
    expect(ctx.stderr()).toContain(`  fake manager: cannot read ${stateDir}/fail.yaml`);
    expect(ctx.stderr()).toContain(`--state-dir ${stateDir}`);
    expect(ctx.stderr()).not.toContain('--daemon');
  });

  it('refuses at once when a live manager holds the state dir', async () => {
    const lock = acquireLock(stateDir);
    try {
      const ctx = testContext(stateDir, { self });
      expect(await runCli(['start', '--daemon'], ctx)).toBe(1);
      expect(ctx.stderr()).toBe(
        `mcp-manager: mcp-manager is already running (pid ${process.pid}) with state dir ${stateDir}; ` +
          'stop it with "mcp-manager stop" or use another --state-dir\n',
      );
    } finally {
      lock.release();
    }
  });
});
