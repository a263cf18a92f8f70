/**
 * Hostile config edits on a running manager: a 50 MB file, binary data, a FIFO, a file that
 * takes seconds to parse. Each is refused with a message naming the file, the last good
 * config keeps serving, and calls, `/healthz` and the control API answer all along.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolCallResult } from '../../src/control/types.js';
import { ManagerError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { startManager } from '../../src/supervisor/start.js';
import { waitFor } from '../helpers/processes.js';
import { echoServer, runManager, tempDir, writeConfig, type Running } from './harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function boot(): Promise<Running & { config: string; dir: string; healthz: () => Promise<number> }> {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const config = writeConfig(tmp.dir, echoServer('a'));
  const running = await runManager(config, join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(() => running.manager.stop());
  const healthz = async () => (await fetch(new URL('/healthz', running.manager.gatewayUrl))).status;
  return { ...running, config, dir: tmp.dir, healthz };
}

const textOf = (result: ToolCallResult) => (result.content as { text: string }[])[0]?.text;

/** The manager still serves what it served before the bad edit. */
async function stillServing(m: Running & { healthz: () => Promise<number> }, pid: number | null): Promise<void> {
  expect(await m.healthz()).toBe(200);
  expect(textOf(await m.control.callTool('a', 'echo', { text: 'still here' }))).toBe('still here');
  expect(await m.server('a')).toMatchObject({ state: 'healthy', pid });
}

describe('a bad config edited in while the manager runs', () => {
  it('refuses a 50 MB file, binary data and a FIFO, naming the file; the last good config keeps serving', async () => {
    const m = await boot();
    const { pid } = await m.waitState('a', 'healthy');

    // 50 MB (sparse: no disk used), written over the watched file
    truncateSync(m.config, 50 * 1024 * 1024);
    expect(await m.control.reload()).toEqual({
      ok: false,
      added: [],
      removed: [],
      changed: [],
      issues: [{ file: m.config, path: '', message: 'file is 50.0 MiB, more than the 4.0 MiB limit for a config file: not read' }],
    });
    await stillServing(m, pid);

    writeFileSync(m.config, Buffer.from([0x73, 0x65, 0x00, 0xff, 0x00, 0x0a]));
    expect((await m.control.reload()).issues).toEqual([
      { file: m.config, path: '', message: 'binary data (contains NUL bytes), not a text config file' },
    ]);
    await stillServing(m, pid);

    rmSync(m.config);
    execFileSync('mkfifo', [m.config]);
    expect((await m.control.reload()).issues).toEqual([
      { file: m.config, path: '', message: 'not a regular file (a FIFO, socket or device): not read' },
    ]);
    await stillServing(m, pid);

    // and a good edit after all that is applied
    rmSync(m.config);
    writeConfig(m.dir, echoServer('a') + echoServer('b'));
    expect(await m.control.reload()).toMatchObject({ ok: true, added: ['b'], changed: [] });
    await m.waitState('b', 'healthy');
    expect((await m.server('a')).pid).toBe(pid);
  });

  it('parses off the thread that serves: calls and /healthz answer while a slow file is being read', async () => {
    const m = await boot();
    const { pid } = await m.waitState('a', 'healthy');
    // just under the size limit, many mappings: seconds of YAML parsing, then refused (too many servers)
    let text = 'servers:\n';
    for (let i = 0; text.length < 4 * 1024 * 1024 - 64; i++) text += `  s${i}:\n    command: node\n`;
    writeFileSync(m.config, text);

    let reloaded = false;
    const report = m.control.reload().finally(() => (reloaded = true));
    const answered: string[] = [];
    // while the file is being parsed, the manager answers: a call, /healthz, a status
    expect(textOf(await m.control.callTool('a', 'echo', { text: 'during' }))).toBe('during');
    if (!reloaded) answered.push('call');
    expect(await m.healthz()).toBe(200);
    if (!reloaded) answered.push('healthz');
    expect((await m.status()).servers.map((s) => s.name)).toEqual(['a']);
    if (!reloaded) answered.push('status');
    expect(answered).toEqual(['call', 'healthz', 'status']);

    expect((await report).issues).toEqual([
      {
        file: m.config,
        path: 'servers',
        line: 1,
        column: 1,
        message: expect.stringMatching(/^at most 4096 servers are allowed, got \d{6}$/) as string,
      },
    ]);
    await stillServing(m, pid);
  });

  it('a watched edit is reloaded on its own and a bad one is reported without stopping anything', async () => {
    const m = await boot();
    const { pid } = await m.waitState('a', 'healthy');
    writeFileSync(m.config, Buffer.alloc(1024, 0));
    // the watch reloads by itself; the next good edit shows the bad one did no harm
    writeConfig(m.dir, echoServer('a') + echoServer('c'));
    await waitFor(async () => (await m.status()).servers.some((s) => s.name === 'c'), { what: 'the good edit to be picked up' });
    await stillServing(m, pid);
  });
});

describe('start with a config that is not a regular file', () => {
  it('refuses a FIFO and /dev/zero at once, naming the file', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const fifo = join(tmp.dir, 'config.yaml');
    execFileSync('mkfifo', [fifo]);
    for (const configFile of [fifo, '/dev/zero']) {
      const error = await startManager({ configFile, stateDir: join(tmp.dir, 'state'), logger: silentLogger(), env: {} }).catch(
        (e: unknown) => e,
      );
      expect(ManagerError.is(error) && error.code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toContain(configFile);
      expect((error as Error).message).toContain('not a regular file (a FIFO, socket or device): not read');
    }
  });
});
