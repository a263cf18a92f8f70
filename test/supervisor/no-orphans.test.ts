/**
 * The manager as users run it: the built CLI in its own process. After `mcp-manager stop`
 * or SIGTERM, no process of any server is left, grandchildren of wrappers included.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessTracker, descendantsOf, isAlive, waitFor } from '../helpers/processes.js';
import { CLI, WRAPPER, echoServer, tempDir, writeConfig } from './harness.js';

const tracker = new ProcessTracker();
let cleanups: (() => void)[] = [];
afterEach(() => {
  tracker.killAll();
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function wrapped(name: string): string {
  // a wrapper like npx: it spawns the real server (which spawns a grandchild) and does not forward signals
  return [
    `  ${name}:`,
    `    command: ${process.execPath}`,
    `    args: ["${WRAPPER}"]`,
    `    stop_grace: 0.2`,
    `    stop_timeout: 1`,
    `    env:`,
    `      FIXTURE_SPAWN_CHILD: "1"`,
    '',
  ].join('\n');
}

function cli(args: string[], stateDir: string) {
  return spawnSync(process.execPath, [CLI, ...args, '--state-dir', stateDir], { encoding: 'utf8', timeout: 30_000 });
}

async function startManager(): Promise<{ child: ChildProcess; stateDir: string; tree: number[] }> {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const config = writeConfig(tmp.dir, wrapped('wrapped') + echoServer('plain'));
  const stateDir = join(tmp.dir, 'state');
  const child = spawn(process.execPath, [CLI, 'start', '--config', config, '--state-dir', stateDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.resume();
  tracker.track(child.pid);
  const tree = await waitFor(
    () => {
      const status = cli(['status', '--json'], stateDir);
      if (status.status !== 0) return undefined;
      const servers = (JSON.parse(status.stdout) as { servers: { state: string }[] }).servers;
      if (!servers.every((s) => s.state === 'healthy')) return undefined;
      // wrapper → echo → grandchild, plus the plain echo: at least 4 descendants
      const all = descendantsOf(child.pid!);
      return all.length >= 4 ? all : undefined;
    },
    { timeoutMs: 20_000, what: 'all servers healthy with their grandchildren' },
  );
  for (const pid of tree) tracker.track(pid);
  return { child, stateDir, tree };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe('no orphans', () => {
  it('after `mcp-manager stop`, nothing of any server is left', async () => {
    const { child, stateDir, tree } = await startManager();
    const stop = cli(['stop'], stateDir);
    expect(stop.status, stop.stderr).toBe(0);
    expect(await exited(child)).toBe(0);
    expect(tree.filter(isAlive)).toEqual([]);
    expect(existsSync(join(stateDir, 'control.sock'))).toBe(false);
  });

  it('after SIGTERM to the manager, nothing of any server is left', async () => {
    const { child, tree } = await startManager();
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(tree.filter(isAlive)).toEqual([]);
  });

  it('a second start on the same state dir refuses clearly and leaves the first alone', async () => {
    const { child, stateDir } = await startManager();
    const second = cli(['start', '--config', join(stateDir, '..', 'config.yaml')], stateDir);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/already running \(pid \d+\)/);
    expect(isAlive(child.pid!)).toBe(true);
    expect(cli(['status'], stateDir).status).toBe(0);
  });
});

describe('bad config on start', () => {
  it('prints every issue with file and line, exits 1 and starts nothing', () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const config = writeConfig(
      tmp.dir,
      `  a:\n    comand: node\n    startup_timeout: soon\n  b:\n    command: "\${UNSET_VARIABLE_FOR_TEST}"\n`,
    );
    const stateDir = join(tmp.dir, 'state');
    const run = cli(['start', '--config', config], stateDir);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${config}:5:`);
    expect(run.stderr).toMatch(/unknown key "comand"/);
    expect(run.stderr).toMatch(/servers\.a\.startup_timeout/);
    expect(run.stderr).toMatch(/UNSET_VARIABLE_FOR_TEST/);
    expect(existsSync(join(stateDir, 'control.sock'))).toBe(false);
    expect(existsSync(join(stateDir, 'manager.pid')) && readFileSync(join(stateDir, 'manager.pid'), 'utf8')).toBeFalsy();
  });
});
