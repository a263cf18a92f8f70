/**
 * The supervisor end to end: a real manager, real child processes, the control API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagerError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { startManager } from '../../src/supervisor/start.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { ECHO, REPO, echoServer, runManager, tempDir, writeConfig, type Running } from './harness.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function boot(servers: string): Promise<Running & { dir: string }> {
  const tmp = tempDir();
  const config = writeConfig(tmp.dir, servers);
  const running = await runManager(config, join(tmp.dir, 'state'));
  cleanups.push(tmp.cleanup, () => running.manager.stop());
  return { ...running, dir: tmp.dir };
}

describe('manager with real processes', () => {
  it('restarts a crashed server and lists its tools again', async () => {
    const m = await boot(echoServer('echo'));
    const before = await m.waitState('echo', 'healthy');
    expect(before.tools).toEqual(expect.arrayContaining(['echo', 'add', 'pid']));
    process.kill(before.pid!, 'SIGKILL');
    const after = await m.waitState('echo', (s) => s.state === 'healthy' && s.pid !== before.pid);
    expect(after.restarts).toBe(1);
    expect(after.tools).toEqual(before.tools);
    expect(isAlive(before.pid!)).toBe(false);
  });

  it('a crash-looping server ends failed while the others keep running', async () => {
    const booted = Date.now();
    const m = await boot(
      echoServer('steady') + echoServer('looping', { FIXTURE_CRASH_AFTER_MS: '100' }, 'max_restarts: 2\nrestart_window: 60'),
    );
    const steady = await m.waitState('steady', 'healthy');
    const failed = await m.waitState('looping', 'failed');
    expect(failed.restarts).toBe(2);
    expect(failed.error).toContain('exited with code 1');
    // the detailed status shows what runs and when it last ended
    expect(failed).toMatchObject({ command: process.execPath, args: [ECHO] });
    expect(failed.lastExit).toMatchObject({ exitCode: 1, signal: null });
    expect(Date.parse(failed.lastExit!.at!)).toBeGreaterThanOrEqual(booted);
    expect(failed.stderrTail?.join('\n')).toContain('fixture: crashing now');
    const still = await m.server('steady');
    expect(still).toMatchObject({ state: 'healthy', pid: steady.pid, restarts: 0 });
  });

  it('a server that cannot import its modules is failed at once with the cause and the fix', async () => {
    const m = await boot(echoServer('broken', { FIXTURE_EXIT_ON_START: '3' }, 'max_restarts: 5'));
    const failed = await m.waitState('broken', 'failed');
    expect(failed.restarts).toBe(0);
    expect(failed.error).toMatch(/^INCOMPATIBLE: Python module "fixture_missing_module" is not installed.* — fix: install it there/);
    expect(failed.stderrTail?.join('\n')).toContain("ImportError: No module named 'fixture_missing_module'");
    expect(failed.lastExit).toMatchObject({ exitCode: 3, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('a server breaking with a FastMCP-style import error after an mcp v2 upgrade is diagnosed as such', async () => {
    const fixture = join(REPO, 'test/fixtures/servers/fastmcp-broken.mjs');
    const m = await boot(`  py:\n    command: ${process.execPath}\n    args: ["${fixture}"]\n`);
    const failed = await m.waitState('py', 'failed');
    expect(failed.restarts).toBe(0);
    expect(failed.error).toMatch(/^INCOMPATIBLE: .*mcp.* — fix: .*mcp<2/);
  });

  it('kills a server that ignores SIGTERM within the stop timeout', async () => {
    const m = await boot(echoServer('stubborn', { FIXTURE_IGNORE_SIGTERM: '1', FIXTURE_IGNORE_STDIN_CLOSE: '1' }));
    const { pid } = await m.waitState('stubborn', 'healthy');
    const started = Date.now();
    await m.control.stopServer('stubborn');
    const took = Date.now() - started;
    expect(isAlive(pid!)).toBe(false);
    const stopped = await m.server('stubborn');
    expect(stopped.state).toBe('stopped');
    // stdin grace 0.2 s + SIGTERM wait 1 s (the harness's stop_timeout), then SIGKILL
    // the server's log says how it ended: after the SIGTERM it ignored, the SIGKILL
    // the log file is written asynchronously: wait for the line rather than race the write
    const logFile = join(m.manager.stateDir, 'logs', 'stubborn.log');
    const log = await waitFor(
      () => {
        const text = readFileSync(logFile, 'utf8');
        return text.includes('server "stubborn" killed by SIGKILL') ? text : undefined;
      },
      { timeoutMs: 20_000, what: 'the SIGKILL line in stubborn.log' },
    );
    expect(log).toContain('fixture: ignoring SIGTERM');
    expect(took).toBeGreaterThanOrEqual(1_000);
  });

  it('a command that does not exist is failed with a clear reason; others are unaffected', async () => {
    const m = await boot(echoServer('fine') + '  ghost:\n    command: definitely-not-a-command-xyz\n');
    const ghost = await m.waitState('ghost', 'failed');
    expect(ghost.error).toMatch(
      /SPAWN_FAILED: command not found: "definitely-not-a-command-xyz" — fix: install it, or give its absolute path/,
    );
    expect(ghost.restarts).toBe(0);
    expect((await m.waitState('fine', 'healthy')).state).toBe('healthy');
  });

  it('a garbage line on stdout does not crash anything', async () => {
    const m = await boot(echoServer('noisy', { FIXTURE_GARBAGE_STDOUT: '1' }));
    const noisy = await m.waitState('noisy', 'healthy');
    expect(noisy.tools).toContain('echo');
    expect(noisy.restarts).toBe(0);
  });

  it('start/stop/restart-server are events to the supervisor', async () => {
    const m = await boot(echoServer('a') + echoServer('b'));
    const a = await m.waitState('a', 'healthy');
    const b = await m.waitState('b', 'healthy');
    await m.control.stopServer('a');
    expect((await m.server('a')).state).toBe('stopped');
    expect(isAlive(a.pid!)).toBe(false);
    await m.control.startServer('a');
    const a2 = await m.server('a');
    expect(a2.state).toBe('healthy');
    await m.control.restartServer('a');
    const a3 = await m.server('a');
    expect(a3.state).toBe('healthy');
    expect(a3.pid).not.toBe(a2.pid);
    expect((await m.server('b')).pid).toBe(b.pid);
    await expect(m.control.restartServer('nope')).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' });
  });

  it('runs a real npm server and lists its tools', async () => {
    const memory = join(REPO, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
    const m = await boot(
      `  memory:\n    command: ${process.execPath}\n    args: ["${memory}"]\n    env:\n      MEMORY_FILE_PATH: "${join(tempDir().dir, 'memory.jsonl')}"\n`,
    );
    const s = await m.waitState('memory', 'healthy');
    expect(s.tools).toEqual(expect.arrayContaining(['create_entities', 'read_graph', 'search_nodes']));
  });

  it('refuses a second manager on the same state dir', async () => {
    const m = await boot(echoServer('a'));
    await m.waitState('a', 'healthy');
    const stateDir = m.manager.stateDir;
    const second = startManager({ configFile: join(m.dir, 'config.yaml'), stateDir, logger: silentLogger() });
    await expect(second).rejects.toSatisfy((e: unknown) => ManagerError.is(e) && e.code === 'MANAGER_RUNNING');
    // the first one is untouched
    expect((await m.server('a')).state).toBe('healthy');
  });

  it('stops every server and its process group on stop()', async () => {
    const m = await boot(echoServer('a', { FIXTURE_SPAWN_CHILD: '1' }) + echoServer('b'));
    const a = await m.waitState('a', 'healthy');
    const b = await m.waitState('b', 'healthy');
    const grandchild = await waitFor(() => pidIn(a.stderrTail ?? [], 'grandchild-pid') ?? pidFromLog(m.manager.stateDir, 'a'));
    expect(isAlive(grandchild)).toBe(true);
    await m.manager.stop();
    await m.manager.closed;
    for (const pid of [a.pid!, b.pid!, grandchild]) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(m.control.socketPath)).toBe(false);
  });
});

function pidIn(lines: readonly string[], key: string): number | undefined {
  const line = lines.find((l) => l.includes(`${key}=`));
  return line ? Number(/=(\d+)/.exec(line.slice(line.indexOf(`${key}=`)))?.[1]) : undefined;
}

function pidFromLog(stateDir: string, instance: string): number | undefined {
  const file = join(stateDir, 'logs', `${instance}.log`);
  if (!existsSync(file)) return undefined;
  return pidIn(readFileSync(file, 'utf8').split('\n'), 'grandchild-pid');
}
