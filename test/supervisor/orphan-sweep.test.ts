/**
 * The orphan sweep: a manager killed with SIGKILL leaves its servers running (they run in
 * their own process groups); the next manager on the same state dir takes over the stale
 * lock and stops every recorded group whose leader still has the recorded start time,
 * and never touches a recycled pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildrenFileSchema, childrenFileOf } from '../../src/state/children.js';
import { lockFileOf, logFileOf } from '../../src/state/paths.js';
import { processStartTime } from '../../src/transports/process-group.js';
import { ProcessTracker, descendantsOf, isAlive, waitFor } from '../helpers/processes.js';
import { CLI, echoServer, runManager, tempDir, writeConfig } from './harness.js';

const tracker = new ProcessTracker();
let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  tracker.killAll();
});

function cli(args: string[], stateDir: string) {
  return spawnSync(process.execPath, [CLI, ...args, '--state-dir', stateDir], { encoding: 'utf8', timeout: 30_000 });
}

function startCli(config: string, stateDir: string): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'start', '--config', config, '--state-dir', stateDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.resume();
  tracker.track(child.pid);
  return child;
}

async function healthy(stateDir: string, pid: number): Promise<void> {
  await waitFor(
    () => {
      const status = cli(['status', '--json'], stateDir);
      if (status.status !== 0) return false;
      const snapshot = JSON.parse(status.stdout) as { manager: { pid: number }; servers: { state: string }[] };
      return snapshot.manager.pid === pid && snapshot.servers.every((s) => s.state === 'healthy');
    },
    { timeoutMs: 20_000, what: 'all servers healthy' },
  );
}

describe('orphan sweep', () => {
  it('after SIGKILL of the manager, the next one stops what the old one left (SIGTERM and stdin EOF ignored)', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const stubborn = {
      FIXTURE_IGNORE_SIGTERM: '1',
      FIXTURE_IGNORE_STDIN_CLOSE: '1',
      FIXTURE_SPAWN_CHILD: '1',
      FIXTURE_GRANDCHILD_IGNORE_SIGTERM: '1',
    };
    const config = writeConfig(tmp.dir, echoServer('stubborn', stubborn) + echoServer('plain'));
    const stateDir = join(tmp.dir, 'state');

    const first = startCli(config, stateDir);
    await healthy(stateDir, first.pid!);
    // server, its grandchild, the plain server
    const old = await waitFor(
      () => {
        const tree = descendantsOf(first.pid!);
        return tree.length >= 3 ? tree : undefined;
      },
      { what: 'the old servers and the grandchild' },
    );
    for (const pid of old) tracker.track(pid);
    // the grandchild's pid shows before its runtime has installed the SIGTERM handler; it says
    // so once it has (a SIGTERM before then would end it, and the sweep would not need SIGKILL)
    await waitFor(
      () => {
        try {
          return readFileSync(logFileOf(stateDir, 'stubborn'), 'utf8').includes('grandchild-pid=');
        } catch {
          return false;
        }
      },
      { what: 'the grandchild ignoring SIGTERM' },
    );
    await waitFor(
      () => {
        try {
          return ChildrenFileSchema.parse(JSON.parse(readFileSync(childrenFileOf(stateDir), 'utf8'))).children.length === 2;
        } catch {
          return false;
        }
      },
      { what: 'both children recorded' },
    );

    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    // the plain server ends on stdin EOF; the stubborn one and its grandchild stay, orphaned
    expect(old.filter(isAlive).length).toBeGreaterThanOrEqual(2);

    const second = startCli(config, stateDir);
    await healthy(stateDir, second.pid!);
    expect(old.filter(isAlive)).toEqual([]);

    const status = JSON.parse(cli(['status', '--json'], stateDir).stdout) as { manager: { notices?: string[] } };
    expect(status.manager.notices).toHaveLength(1);
    expect(status.manager.notices![0]).toMatch(/^stopped [12] server process group\(s\) left by a previous manager: /);
    expect(status.manager.notices![0]).toMatch(/stubborn \(pid \d+, killed\)/);
    const human = cli(['status'], stateDir).stdout;
    expect(human).toMatch(/warning: stopped [12] server process group\(s\)/);

    const log = readFileSync(join(stateDir, 'logs', 'manager.log'), 'utf8');
    expect(log).toContain(`took over the stale lock of a previous manager (pid ${first.pid})`);
    expect(log).toMatch(/stopped [12] server process group\(s\) left by a previous manager/);

    expect(cli(['stop'], stateDir).status).toBe(0);
  }, 120_000);

  it('leaves a recycled pid alone (a recorded pid whose start time differs)', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const config = writeConfig(tmp.dir, echoServer('alpha'));
    const stateDir = join(tmp.dir, 'state');
    mkdirSync(stateDir, { mode: 0o700 });

    // an unrelated process, in its own group, that now has the recorded pid
    const unrelated = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    tracker.track(unrelated.pid);
    // the sweep must leave it alone, so the test ends it
    cleanups.push(() => void unrelated.kill('SIGKILL'));
    await new Promise((resolve) => unrelated.once('spawn', resolve));
    const pid = unrelated.pid!;
    const real = await processStartTime(pid);
    expect(real).not.toBeNull();
    const recorded = String(Number(real) + 1);
    writeFileSync(
      childrenFileOf(stateDir),
      JSON.stringify({
        version: 1,
        managerPid: 1,
        children: [{ pid, pgid: pid, startTime: recorded, instance: 'alpha', at: new Date().toISOString() }],
      }),
    );
    // the crashed predecessor's lock
    writeFileSync(lockFileOf(stateDir), `${pid}\n${recorded}\n`);

    const m = await runManager(config, stateDir);
    cleanups.push(() => m.manager.stop());
    await m.waitState('alpha', 'healthy');
    expect(isAlive(pid)).toBe(true);
    expect((await m.status()).manager.notices).toEqual([`left alone: alpha (pid ${pid}: pid now belongs to another process)`]);
    expect(ChildrenFileSchema.parse(JSON.parse(readFileSync(childrenFileOf(stateDir), 'utf8'))).children.map((c) => c.pid)).not.toContain(
      pid,
    );
  });
});
