/**
 * Log rotation on the real manager and `logs --follow` across rotation: a server writing
 * 50 MB of stderr leaves at most `log_keep` files, each under `log_max_size` + one line,
 * and a follower keeps printing the lines written after a rotation.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { openRotatingFile } from '../../src/state/log-files.js';
import { ensureStateDir, logFileOf } from '../../src/state/paths.js';
import { testContext } from '../cli/context.js';
import { waitFor } from '../helpers/processes.js';
import { echoServer, runManager, tempDir } from '../supervisor/harness.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const MAX = 1024 * 1024;
const KEEP = 3;
const LINE = 1000;
/** What the manager adds to a line: `<ISO time> [<instance>] `. */
const PREFIX = '2026-01-01T00:00:00.000Z [flood] '.length;

describe('server log rotation', () => {
  it('a server writing 50 MB of stderr leaves at most log_keep files, each under log_max_size + one line', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const config = join(tmp.dir, 'config.yaml');
    writeFileSync(
      config,
      `manager:\n  log_max_size: ${MAX}\n  log_keep: ${KEEP}\nservers:\n${echoServer('flood', { FIXTURE_STDERR_FLOOD: '1' })}`,
    );
    const stateDir = join(tmp.dir, 'state');
    const m = await runManager(config, stateDir);
    cleanups.push(() => m.manager.stop());
    await m.waitState('flood', 'healthy');

    const result = await m.control.callTool('flood', 'stderr_flood', { bytes: 50 * 1000 * 1000, line: LINE });
    expect(result.isError).toBeFalsy();
    const logs = join(stateDir, 'logs');
    // the last lines reach the file a moment after the tool answered
    await waitFor(() => readdirSync(logs).filter((f) => f.startsWith('flood.log')).length === KEEP, { what: 'rotated files' });
    const files = readdirSync(logs)
      .filter((f) => f.startsWith('flood.log'))
      .sort();
    expect(files).toEqual(['flood.log', 'flood.log.1', 'flood.log.2']);
    for (const file of files) {
      const { size, mode } = statSync(join(logs, file));
      expect(size, file).toBeLessThanOrEqual(MAX + LINE + PREFIX);
      expect(mode & 0o777, file).toBe(0o600);
    }
    expect(statSync(join(logs, 'flood.log.1')).size).toBeGreaterThanOrEqual(MAX);
    // the server is fine afterwards
    expect((await m.server('flood')).state).toBe('healthy');
  });
});

describe('logs --follow', () => {
  it('shows the lines written after a rotation, in order, none lost', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const stateDir = join(tmp.dir, 'state');
    ensureStateDir(stateDir);
    const file = logFileOf(stateDir, 'srv');
    // small files: every few lines rotate
    const log = openRotatingFile(file, { maxSizeBytes: 200, keep: 3 });
    cleanups.push(() => new Promise<void>((resolve) => log.end(resolve)));
    const write = (line: string) => new Promise<void>((resolve, reject) => log.write(`${line}\n`, (e) => (e ? reject(e) : resolve())));
    await write('before-follow');

    const ctx = testContext(stateDir);
    const following = runCli(['logs', 'srv', '--follow', '--lines', '1'], ctx);
    await waitFor(() => ctx.stdout().includes('before-follow'), { what: 'the existing last line' });

    const sent: string[] = [];
    for (let i = 0; i < 60; i++) {
      const line = `line-${String(i).padStart(3, '0')}-${'y'.repeat(30)}`;
      sent.push(line);
      await write(line);
      if (i % 10 === 9) await waitFor(() => ctx.stdout().includes(line), { what: `${line} followed` });
    }
    await waitFor(() => ctx.stdout().includes(sent.at(-1)!), { what: 'the last line followed' });
    expect(readdirSync(join(stateDir, 'logs')).filter((f) => f.startsWith('srv.log.')).length).toBeGreaterThan(0);
    ctx.signal('SIGINT');
    expect(await following).toBe(0);
    const printed = ctx.stdout().trimEnd().split('\n');
    expect(printed).toEqual(['before-follow', ...sent]);
  });

  it('without NAME shows the manager log', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const stateDir = join(tmp.dir, 'state');
    ensureStateDir(stateDir);
    writeFileSync(join(stateDir, 'logs', 'manager.log'), '{"msg":"one"}\n{"msg":"two"}\n');
    const ctx = testContext(stateDir);
    expect(await runCli(['logs', '--lines', '1'], ctx)).toBe(0);
    expect(ctx.stdout()).toBe('{"msg":"two"}\n');
  });
});
