/**
 * state.json on the real manager: operators' decisions survive a restart of the manager,
 * per-server history is kept, a corrupt file is set aside (never fatal), and a manager
 * killed with SIGKILL while it writes leaves a valid file.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import pino from 'pino';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlClient } from '../../src/control/client.js';
import { StateFileSchema, stateFileOf } from '../../src/state/desired-state.js';
import { socketPathOf } from '../../src/state/paths.js';
import { ProcessTracker, isAlive, waitFor } from '../helpers/processes.js';
import { ChildrenFileSchema, childrenFileOf } from '../../src/state/children.js';
import { CLI, echoServer, runManager, tempDir, writeConfig, type Running } from './harness.js';

let cleanups: (() => Promise<void> | void)[] = [];
const tracker = new ProcessTracker();
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  tracker.killAll();
});

function setup(servers: string): { dir: string; stateDir: string; config: string } {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  return { dir: tmp.dir, stateDir: join(tmp.dir, 'state'), config: writeConfig(tmp.dir, servers) };
}

async function start(config: string, stateDir: string): Promise<Running> {
  const running = await runManager(config, stateDir);
  cleanups.push(() => running.manager.stop());
  return running;
}

function stateFile(stateDir: string) {
  return StateFileSchema.parse(JSON.parse(readFileSync(stateFileOf(stateDir), 'utf8')));
}

describe('desired state across restarts', () => {
  it('stop-server → restart → still stopped; start-server → restart → running', async () => {
    const { config, stateDir } = setup(echoServer('alpha') + echoServer('beta'));
    let m = await start(config, stateDir);
    await m.waitState('alpha', 'healthy');
    await m.waitState('beta', 'healthy');
    await m.control.stopServer('alpha');
    expect((await m.server('alpha', true)).desired).toMatchObject({ state: 'stopped', source: 'operator', via: 'control' });
    expect((await m.server('beta', true)).desired).toEqual({ state: 'running', source: 'config' });
    await m.manager.stop();
    expect(stateFile(stateDir).servers.alpha?.override?.state).toBe('stopped');

    m = await start(config, stateDir);
    await m.waitState('beta', 'healthy');
    const alpha = await m.server('alpha', true);
    expect(alpha.state).toBe('stopped');
    expect(alpha.pid).toBeNull();
    expect(alpha.desired?.source).toBe('operator');

    await m.control.startServer('alpha');
    await m.waitState('alpha', 'healthy');
    expect((await m.server('alpha', true)).desired).toEqual({ state: 'running', source: 'config' });
    await m.manager.stop();

    m = await start(config, stateDir);
    await m.waitState('alpha', 'healthy');
    expect(stateFile(stateDir).servers.alpha?.override).toBeUndefined();
  });

  it('keeps a bounded history of exits and restarts, and drops servers removed from the config', async () => {
    const { dir, config, stateDir } = setup(echoServer('flaky', { FIXTURE_CRASH_AFTER_MS: '300' }) + echoServer('steady'));
    const m = await start(config, stateDir);
    await waitFor(
      () =>
        existsSync(stateFileOf(stateDir))
          ? (stateFile(stateDir).servers.flaky?.history.filter((h) => h.kind === 'restart').length ?? 0) >= 2
          : false,
      {
        timeoutMs: 20_000,
        what: 'two restarts of flaky in state.json',
      },
    );
    const history = stateFile(stateDir).servers.flaky!.history;
    expect(history.find((h) => h.kind === 'exit')).toMatchObject({ instance: 'flaky', exitCode: 1, signal: null });
    expect(history.find((h) => h.kind === 'restart')).toMatchObject({ instance: 'flaky', exitCode: 1 });
    expect(history.every((h) => !Number.isNaN(Date.parse(h.at)))).toBe(true);

    // removed from the config (a reload): dropped from the state file
    await m.control.stopServer('steady');
    writeConfig(dir, echoServer('flaky', { FIXTURE_CRASH_AFTER_MS: '300' }));
    await m.control.reload();
    await waitFor(() => !('steady' in stateFile(stateDir).servers), { what: 'steady dropped from state.json' });
  });

  it('drops at start a server no longer in the config', async () => {
    const { config, stateDir } = setup(echoServer('alpha'));
    mkdirSync(stateDir, { mode: 0o700 });
    const old = {
      version: 1,
      updatedAt: new Date().toISOString(),
      servers: { gone: { override: { state: 'stopped', at: 'x', via: 'control' }, history: [] } },
      upstream: { gone: { era: 'modern' } },
    };
    writeFileSync(stateFileOf(stateDir), JSON.stringify(old));
    const m = await start(config, stateDir);
    await m.waitState('alpha', 'healthy');
    await m.control.stopServer('alpha'); // any write
    await waitFor(() => stateFile(stateDir).servers.alpha?.override !== undefined, { what: 'the stop recorded' });
    expect(stateFile(stateDir).servers.gone).toBeUndefined();
    expect(stateFile(stateDir).upstream.gone).toBeUndefined();
  });
});

describe('a corrupt state.json', () => {
  const cases: [string, string][] = [
    ['truncated', '{"version":1,"updatedAt":"2026-01-01T00:00:00Z","servers":{"alpha":{"over'],
    ['garbage', '\u0000\u0001 not json at all'],
    ['of another version', JSON.stringify({ version: 99, updatedAt: 'x', servers: {} })],
  ];
  for (const [what, content] of cases) {
    it(`${what}: starts from the config, warns in the log and status, keeps the bad file aside`, async () => {
      const { config, stateDir } = setup(echoServer('alpha'));
      // a first run creates the state dir; then the file is damaged
      let m = await start(config, stateDir);
      await m.control.stopServer('alpha');
      await m.manager.stop();
      writeFileSync(stateFileOf(stateDir), content);

      const lines: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
      m = await runManager(config, stateDir, { logger });
      cleanups.push(() => m.manager.stop());
      await m.waitState('alpha', 'healthy'); // the operator's stop is lost with the file: config alone
      expect(lines.filter((l) => l.includes('was unusable'))).toHaveLength(1);
      const notices = (await m.status()).manager.notices ?? [];
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(
        /state file .*state\.json was unusable .*kept aside as .*state\.json\.corrupt-.*starting from the config alone/,
      );
      const aside = readdirSync(stateDir).filter((f) => f.startsWith('state.json.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(stateDir, aside[0]!), 'utf8')).toBe(content);
    });
  }
});

describe('kill -9 while writing', () => {
  it('leaves state.json valid JSON every time', async () => {
    const { config, stateDir } = setup(echoServer('alpha') + echoServer('beta'));
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, [CLI, 'start', '--config', config, '--state-dir', stateDir], { stdio: 'ignore' });
      tracker.track(child.pid);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const control = createControlClient(socketPathOf(stateDir));
      await waitFor(async () => (await control.status({ detailed: false }).catch(() => null))?.manager.pid === child.pid, {
        timeoutMs: 20_000,
        what: 'the manager to answer',
      });
      // operators' commands as fast as they go, each a write; the kill lands in the middle
      let commands = 0;
      const loop = (async () => {
        for (let i = 0; i < 200; i++) {
          const name = i % 2 === 0 ? 'alpha' : 'beta';
          const ok = await (i % 4 < 2 ? control.stopServer(name) : control.startServer(name)).then(
            () => true,
            () => false,
          );
          if (!ok) return;
          commands++;
        }
      })();
      await waitFor(() => commands >= 4 + round * 3, { timeoutMs: 20_000, what: 'a few commands written' });
      child.kill('SIGKILL');
      await exited;
      await loop;
      const text = readFileSync(stateFileOf(stateDir), 'utf8');
      expect(() => StateFileSchema.parse(JSON.parse(text))).not.toThrow();
      // the next start takes over the lock of the killed manager
    }
    // the last killed manager's servers are still running: the next start sweeps them
    const left = ChildrenFileSchema.parse(JSON.parse(readFileSync(childrenFileOf(stateDir), 'utf8'))).children.map((c) => c.pid);
    await start(config, stateDir);
    expect(left.filter(isAlive)).toEqual([]);
  }, 120_000);
});
