/**
 * Hostile config on the real manager (`mcp-manager start` in a child process): a 50 MB file
 * copied over the watched config, `${X:-…}` nested 5,000 deep, a file of 55,000 keys that
 * takes long to parse; `start --config` given a FIFO or /dev/zero; and a valid file at the size
 * limit, whose status replies (echoing every field at its bound) still reach the CLI. Each ends in an error
 * naming the file (and line:column where there is one); the running manager keeps serving
 * /healthz and its server meanwhile, its memory comes back, and SIGTERM stops it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../helpers/processes.js';
import { CLI, echoServer, tempDir, writeConfig } from '../supervisor/harness.js';
import { endedAfterEach, healthz, startCliManager, type CliManager } from './harness.js';

const started = endedAfterEach();

/**
 * Until the manager logs a line matching `pattern` (after line `from`), ask /healthz and the
 * control socket again and again: each must answer. The line and how many rounds answered.
 */
async function servingUntil(
  m: CliManager,
  from: number,
  pattern: RegExp,
  pid: number | null,
  what: string,
): Promise<{ line: string; answered: number }> {
  let answered = 0;
  const line = await waitFor(
    async () => {
      expect(await healthz(m.url!)).toBe(200);
      expect((await m.status()).servers).toMatchObject([{ name: 'a', state: 'healthy', pid }]);
      answered++;
      return m
        .log()
        .slice(from - (m.logLineCount() - m.log().length))
        .find((l) => pattern.test(l));
    },
    { timeoutMs: 60_000, intervalMs: 20, what },
  );
  return { line, answered };
}

describe('hostile config edits on the running manager', () => {
  it(
    'a 50 MB file, nesting 5,000 deep and 55,000 keys are refused naming the file; serving goes on; SIGTERM stops it',
    { timeout: 180_000 },
    async () => {
      const tmp = tempDir();
      started.cleanup = tmp.cleanup;
      const config = writeConfig(tmp.dir, echoServer('a'));
      const m = (started.manager = await startCliManager({ config, stateDir: join(tmp.dir, 'state'), http: true }));
      const { pid } = await waitFor(async () => (await m.status()).servers.find((s) => s.state === 'healthy'), {
        timeoutMs: 20_000,
        what: 'a healthy',
      });
      const rssBefore = m.rssBytes();

      // 50 MB over the watched file: refused by its size, before reading
      let from = m.logLineCount();
      truncateSync(config, 50 * 1024 * 1024);
      const big = await servingUntil(m, from, /config reload rejected/, pid, 'the 50 MB file to be refused');
      expect(big.line).toContain(`${config}: file is 50.0 MiB, more than the 4.0 MiB limit for a config file: not read`);

      // ${X:-${X:-…}} 5,000 deep: an issue at its line and column, no stack overflow
      from = m.logLineCount();
      writeFileSync(
        config,
        `servers:\n${echoServer('a')}  b:\n    command: node\n    args: ["${'${X:-'.repeat(5_000)}end${'}'.repeat(5_000)}"]\n`,
      );
      const deep = await servingUntil(m, from, /config reload rejected/, pid, 'the deep nesting to be refused');
      expect(deep.line).toMatch(
        new RegExp(
          `${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: servers\\.b\\.args\\[0\\]: placeholders nested more than \\d+ deep`,
        ),
      );
      expect(m.log().join('\n')).not.toMatch(/call stack/i);

      // 55,000 keys (the duplicate-key check once grew with their square): read off the serving
      // thread; /healthz, status and the server answer while it is parsed
      from = m.logLineCount();
      let text = `servers:\n${echoServer('a')}  b:\n    command: node\n    env:\n`;
      for (let i = 0; i < 55_000; i++) text += `      K${i}: v\n`;
      writeFileSync(config, text);
      const keys = await servingUntil(m, from, /config reload rejected/, pid, 'the 55,000 keys to be refused');
      expect(keys.line).toContain(config);
      expect(keys.line).toMatch(/servers\.b\.env/);
      // the watch waits for the edit to settle, then the parse takes a while: answers came meanwhile
      expect(keys.answered).toBeGreaterThan(1);

      await waitFor(() => m.rssBytes() <= rssBefore * 1.2, {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: `RSS back within 20 % of ${Math.round(rssBefore / 1e6)} MB`,
      });

      // told to stop in the middle of a slow parse (SIGHUP starts it at once), it stops
      text = `servers:\n${echoServer('a')}`;
      for (let i = 0; text.length < 4 * 1024 * 1024 - 64; i++) text += `  s${i}:\n    command: node\n`;
      writeFileSync(config, text);
      m.child.kill('SIGHUP');
      const children = m.descendants();
      expect(await m.stop()).toBe(0);
      expect(m.log().some((l) => l.includes('stopping (received SIGTERM)'))).toBe(true);
      expect(children.filter(isAlive)).toEqual([]);
    },
  );
});

describe('start --config with a file that is not a regular file', () => {
  it('a FIFO and /dev/zero are refused at once, naming the file, exit 1', { timeout: 60_000 }, async () => {
    const tmp = tempDir();
    started.cleanup = tmp.cleanup;
    const fifo = join(tmp.dir, 'config.yaml');
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, '/dev/zero']) {
      const child = spawn(process.execPath, [CLI, 'start', '--config', file, '--state-dir', join(tmp.dir, 'state')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(`${file}: not a regular file (a FIFO, socket or device): not read`);
      expect(isAlive(child.pid!)).toBe(false);
    }
  });
});

describe('a valid config at the size limit', () => {
  it('starts, and status, status --detailed and list-servers answer for every server through the CLI', { timeout: 180_000 }, async () => {
    const tmp = tempDir();
    started.cleanup = tmp.cleanup;
    // as many servers as the file holds under its byte limit, each with the longest description
    // and long args (both echoed by status --detailed): a reply as large as a config can make it
    const description = 'd'.repeat(1024);
    const args = Array.from({ length: 8 }, (_, i) => `${i}${'a'.repeat(4095)}`);
    const head = `servers:\n${echoServer('a')}`;
    const entry = (i: number) =>
      `  s${i}:\n    command: node\n    enabled: false\n    description: ${description}\n    args: [${args.join(', ')}]\n`;
    const entries: string[] = [];
    let bytes = head.length;
    for (let i = 0; bytes + entry(i).length < 4 * 1024 * 1024 - 64; i++) {
      entries.push(entry(i));
      bytes += entry(i).length;
    }
    const config = join(tmp.dir, 'config.yaml');
    writeFileSync(config, head + entries.join(''));
    const stateDir = join(tmp.dir, 'state');
    const m = (started.manager = await startCliManager({ config, stateDir, http: true }));
    await waitFor(async () => (await m.status()).servers.find((s) => s.name === 'a' && s.state === 'healthy'), {
      timeoutMs: 60_000,
      what: 'a healthy',
    });

    const cli = (...args: string[]) =>
      JSON.parse(
        execFileSync(process.execPath, [CLI, ...args, '--json', '--state-dir', stateDir], { maxBuffer: 256 * 1024 * 1024 }).toString(),
      ) as {
        servers: { name: string; description?: string; args?: string[] }[];
      };
    for (const args of [['status'], ['status', '--detailed'], ['list-servers']]) {
      const reply = cli(...args);
      expect(reply.servers, args.join(' ')).toHaveLength(entries.length + 1);
      expect(
        reply.servers.find((s) => s.name === `s${entries.length - 1}`),
        args.join(' '),
      ).toBeDefined();
    }
    // the detailed reply echoes every server's description and args in full
    const last = cli('status', '--detailed').servers.find((s) => s.name === `s${entries.length - 1}`);
    expect(last).toMatchObject({ description, args });
    expect(await healthz(m.url!)).toBe(200);
    expect(await m.stop()).toBe(0);
  });
});
