/**
 * Clear states on the real manager: a server that dies at once is diagnosed by its exit
 * and stderr (not "closed its input"), one that never answers initialize ends failed,
 * tools of a server whose every replica failed answer with the reason, and a call lost
 * with its instance leaves a log line.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startManager } from '../../src/supervisor/start.js';
import type { RunningManager } from '../../src/supervisor/types.js';
import { createControlClient } from '../../src/control/client.js';
import { socketPathOf } from '../../src/state/paths.js';
import { descendantsOf, isAlive, waitFor } from '../helpers/processes.js';
import { echoServer, tempDir, writeConfig } from '../supervisor/harness.js';
import { healthz } from './harness.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function boot(servers: string) {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const manager: RunningManager = await startManager({
    configFile: writeConfig(tmp.dir, servers),
    stateDir: join(tmp.dir, 'state'),
    logger,
    env: process.env,
    http: { host: '127.0.0.1', port: 0 },
  });
  // after the stop, nothing the manager started is left (the test process starts nothing else)
  cleanups.push(async () => {
    await manager.stop();
    expect(descendantsOf(process.pid)).toEqual([]);
  });
  const control = createControlClient(socketPathOf(manager.stateDir));
  const server = async (name: string) => (await control.status({ detailed: true })).servers.find((s) => s.name === name)!;
  const until = (name: string, state: string) =>
    waitFor(
      async () => {
        const s = await server(name);
        return s.state === state ? s : undefined;
      },
      { timeoutMs: 30_000, what: `${name} to be ${state}` },
    );
  return { manager, control, server, until, lines };
}

const quick = 'stop_grace: 0.1\nstop_timeout: 1\nbackoff: { initial: 0.05, max: 0.1, jitter: 0 }\nmax_restarts: 2';
const entry = (name: string, command: string, args: string[], extra = quick) =>
  [
    `  ${name}:`,
    `    command: ${JSON.stringify(command)}`,
    `    args: ${JSON.stringify(args)}`,
    ...extra.split('\n').map((l) => `    ${l}`),
    '',
  ].join('\n');

describe('servers that die at once', () => {
  it('are diagnosed by exit code and stderr tail, with the fix', { timeout: 60_000 }, async () => {
    const script = 'echo "ModuleNotFoundError: No module named \'fixture_missing\'" >&2; exit 1';
    const names = ['py1', 'py2', 'py3', 'py4'];
    const m = await boot(names.map((n) => entry(n, '/bin/sh', ['-c', script])).join('') + entry('nothing', 'true', []));
    expect(await healthz(m.manager.gatewayUrl!)).toBe(200);
    for (const name of names) {
      const s = await m.until(name, 'failed');
      expect(s.error).toMatch(/INCOMPATIBLE/);
      expect(s.error).toMatch(/fixture_missing/);
      expect(s.error).toMatch(/fix:/);
      expect(s.error).not.toMatch(/closed its input/);
      expect(s.lastExit).toMatchObject({ exitCode: 1 });
    }
    // `true`: exits 0 before initialize, each time; its failed starts run out
    const nothing = await m.until('nothing', 'failed');
    expect(nothing.error).toMatch(/exited with code 0/);
    expect(nothing.error).not.toMatch(/closed its input/);
  });
});

describe('a server that never answers initialize', () => {
  it('reaches failed although its timeouts spread past the restart window', { timeout: 60_000 }, async () => {
    const m = await boot(
      entry('mute', process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], `${quick}\nstartup_timeout: 0.4\nrestart_window: 0.1`),
    );
    const s = await m.until('mute', 'failed');
    expect(s.error).toMatch(/INITIALIZE_TIMEOUT/);
    expect(s.restarts).toBe(2);
    expect(await healthz(m.manager.gatewayUrl!)).toBe(200);
  });
});

describe('every replica failed', () => {
  it('HTTP callers get the failure reason, and each lost call is logged with tool, instance and session', { timeout: 60_000 }, async () => {
    const m = await boot(echoServer('doomed', { FIXTURE_CRASH_ON_TOOL: '1' }, 'restart: temporary\nreplicas: 2'));
    await waitFor(async () => (await m.server('doomed')).instances?.filter((x) => x.state === 'healthy').length === 2, {
      timeoutMs: 30_000,
      what: 'both replicas healthy',
    });
    const client = new Client({ name: 'hostile', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(m.manager.gatewayUrl!));
    await client.connect(transport);
    cleanups.push(() => client.close());
    const pids: number[] = [];
    for (const instance of (await m.server('doomed')).instances ?? []) if (instance.pid) pids.push(instance.pid);
    expect(pids).toHaveLength(2);
    // `crash` is not safe to repeat: each call that kills its instance is lost, not retried
    for (let i = 0; i < 4 && (await m.server('doomed')).state !== 'failed'; i++) {
      await expect(client.callTool({ name: 'doomed__crash', arguments: {} })).rejects.toThrow();
      await waitFor(async () => (await m.server('doomed')).instances?.every((x) => x.state === 'failed' || x.state === 'healthy'), {
        timeoutMs: 20_000,
      });
    }
    await m.until('doomed', 'failed');
    await expect(client.callTool({ name: 'doomed__echo', arguments: { text: 'x' } })).rejects.toThrow(
      /tool "doomed__echo" is unavailable: server "doomed" failed: SERVER_EXITED/,
    );
    const lost = m.lines.filter((l) => l.includes('call lost'));
    expect(lost.length).toBeGreaterThanOrEqual(1);
    const record = JSON.parse(lost[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ server: 'doomed', tool: 'crash', session: transport.sessionId });
    expect(String(record.instance)).toMatch(/^doomed/);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
