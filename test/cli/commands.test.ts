import { EventEmitter } from 'node:events';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliStartOptions } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/run.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import type { ControlHandlers } from '../../src/control/types.js';
import { ConfigError, ManagerError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import type { RunningManager } from '../../src/supervisor/types.js';
import { createControlClient } from '../../src/control/client.js';
import { fakeHandlers, shortTempDir, snapshot, waitFor } from '../control/helpers.js';
import { isAlive, waitFor as waitUntil } from '../helpers/processes.js';
import { echoServer, writeConfig } from '../supervisor/harness.js';
import { testContext } from './context.js';

let stateDir: string;
let cleanup: () => void;
let server: ControlServer | undefined;

beforeEach(() => {
  ({ dir: stateDir, cleanup } = shortTempDir());
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  cleanup();
});

async function serve(handlers: ControlHandlers): Promise<void> {
  server = await startControlServer({ socketPath: join(stateDir, 'control.sock'), handlers, logger: silentLogger() });
}

describe('status and list-servers', () => {
  it('print the status table from the detailed snapshot', async () => {
    const { handlers, calls } = fakeHandlers();
    await serve(handlers);
    const ctx = testContext(stateDir);
    expect(await runCli(['status'], ctx)).toBe(0);
    expect(calls).toEqual(['status detailed=true']);
    expect(ctx.stdout()).toContain('NAME    STATE    PID   RESTARTS  TRANSPORT  UPTIME  TOOLS\n');
    expect(ctx.stdout()).toContain('broken  failed   -     5         stdio      -       0\n  error: server "broken" exited');
    expect(ctx.stderr()).toBe('');
  });

  it('--json prints exactly one JSON document, detailed only when asked', async () => {
    const { handlers, calls } = fakeHandlers();
    await serve(handlers);
    const plain = testContext(stateDir);
    expect(await runCli(['status', '--json'], plain)).toBe(0);
    expect(JSON.parse(plain.stdout())).toEqual(snapshot(false));
    const detailed = testContext(stateDir);
    expect(await runCli(['status', '--json', '--detailed'], detailed)).toBe(0);
    expect(JSON.parse(detailed.stdout())).toEqual(snapshot(true));
    const list = testContext(stateDir);
    expect(await runCli(['list-servers', '--json'], list)).toBe(0);
    expect(JSON.parse(list.stdout())).toEqual({ servers: snapshot(false).servers });
    expect(calls).toEqual(['status detailed=false', 'status detailed=true', 'status detailed=false']);
  });

  it('finds the manager through --state-dir, also before the command', async () => {
    await serve(fakeHandlers().handlers);
    const ctx = testContext('/nonexistent', { env: {} });
    expect(await runCli(['--state-dir', stateDir, 'list-servers'], ctx)).toBe(0);
    expect(ctx.stdout()).toMatch(/^NAME {4}STATE {4}TRANSPORT/);
  });

  it('exits 1 with a clear message when no manager runs', async () => {
    const ctx = testContext(stateDir);
    expect(await runCli(['status'], ctx)).toBe(1);
    expect(ctx.stderr()).toBe(
      `mcp-manager: no mcp-manager is running for state dir ${stateDir} (no control socket at ${stateDir}/control.sock)\n`,
    );
  });
});

describe('start-server, stop-server, restart-server', () => {
  it('send the command and confirm in one line', async () => {
    const { handlers, calls } = fakeHandlers();
    await serve(handlers);
    for (const [command, line] of [
      ['restart-server', 'restarted server "echo"'],
      ['stop-server', 'stopped server "echo"'],
      ['start-server', 'started server "echo"'],
    ] as const) {
      const ctx = testContext(stateDir);
      expect(await runCli([command, 'echo'], ctx)).toBe(0);
      expect(ctx.stdout()).toBe(`${line}\n`);
    }
    expect(calls).toEqual(['restart echo', 'stop echo', 'start echo']);
  });

  it('exit 1 for an unknown server', async () => {
    await serve(fakeHandlers().handlers);
    const ctx = testContext(stateDir);
    expect(await runCli(['restart-server', 'nope'], ctx)).toBe(1);
    expect(ctx.stderr()).toBe('mcp-manager: no server named "nope"\n');
  });
});

describe('stop', () => {
  it('asks the manager to shut down and waits until it is gone', async () => {
    let closed: Promise<void> | undefined;
    await serve(fakeHandlers({ shutdown: () => void (closed = server?.close()) }).handlers);
    const ctx = testContext(stateDir);
    expect(await runCli(['stop'], ctx)).toBe(0);
    expect(closed).toBeDefined();
    expect(ctx.stdout()).toBe('mcp-manager stopped\n');
  });

  it('exits 1 when no manager runs', async () => {
    const ctx = testContext(stateDir);
    expect(await runCli(['stop'], ctx)).toBe(1);
    expect(ctx.stderr()).toMatch(/^mcp-manager: no mcp-manager is running for state dir/);
  });
});

describe('logs', () => {
  const logFile = (): string => join(stateDir, 'logs', 'echo.log');
  const writeLog = (count: number): void => {
    mkdirSync(join(stateDir, 'logs'), { recursive: true });
    writeFileSync(logFile(), Array.from({ length: count }, (_, i) => `line ${i + 1}\n`).join(''));
  };

  it('prints the last N lines, 50 by default', async () => {
    writeLog(120);
    const three = testContext(stateDir);
    expect(await runCli(['logs', 'echo', '--lines', '3'], three)).toBe(0);
    expect(three.stdout()).toBe('line 118\nline 119\nline 120\n');
    const fifty = testContext(stateDir);
    expect(await runCli(['logs', 'echo'], fifty)).toBe(0);
    const lines = fifty.stdout().trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    expect(lines[0]).toBe('line 71');
  });

  it('fails clearly for a server without a log, naming the logs that exist', async () => {
    writeLog(1);
    const ctx = testContext(stateDir);
    expect(await runCli(['logs', 'github'], ctx)).toBe(1);
    expect(ctx.stderr()).toBe(
      `mcp-manager: no log for server "github" (${stateDir}/logs/github.log does not exist); logs exist for: echo\n`,
    );
  });

  it('--follow prints appended lines until interrupted', async () => {
    writeLog(2);
    const ctx = testContext(stateDir);
    const done = runCli(['logs', 'echo', '-f', '-n', '1'], ctx);
    await waitFor(() => ctx.stdout() === 'line 2\n', 'the last line');
    appendFileSync(logFile(), 'line 3\nline 4\n');
    await waitFor(() => ctx.stdout() === 'line 2\nline 3\nline 4\n', 'appended lines');
    ctx.signal('SIGINT');
    expect(await done).toBe(0);
  });
});

describe('start (foreground, with a stub startManager)', () => {
  function fakeManager(): { manager: RunningManager; stops: () => number } {
    let stops = 0;
    let resolveClosed = (): void => undefined;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    const manager: RunningManager = {
      stateDir,
      socketPath: join(stateDir, 'control.sock'),
      gatewayUrl: undefined,
      closed,
      feed: {
        on: () => () => undefined,
        history: () => [],
        instances: () => [],
        snapshotOf: () => undefined,
        supervisorState: () => 'running',
        close: () => undefined,
      },
      stop: () => {
        stops++;
        resolveClosed();
        return closed;
      },
    };
    return { manager, stops: () => stops };
  }

  it('passes the resolved options, stops on SIGTERM and exits 0', async () => {
    const { manager, stops } = fakeManager();
    const seen: CliStartOptions[] = [];
    const ctx = testContext(stateDir, {
      createLogger: silentLogger,
      startManager: (options) => {
        seen.push(options);
        return Promise.resolve(manager);
      },
    });
    const done = runCli(['start', '--config', 'c.yaml', '--http', ':9000', '--stdio'], ctx);
    await waitFor(() => ctx.stderr().includes('mcp-manager running'), 'the running notice');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      configFile: join(stateDir, 'c.yaml'),
      stateDir,
      http: { host: '127.0.0.1', port: 9000 },
      stdio: true,
    });
    ctx.signal('SIGTERM');
    expect(await done).toBe(0);
    expect(stops()).toBe(1);
    expect(ctx.stdout()).toBe(''); // stdout belongs to MCP in stdio mode
  });

  it('exits 0 when the manager is stopped through the control API', async () => {
    const { manager, stops } = fakeManager();
    const ctx = testContext(stateDir, { createLogger: silentLogger, startManager: () => Promise.resolve(manager) });
    const done = runCli(['start'], ctx);
    await waitFor(() => ctx.stderr().includes('mcp-manager running'), 'the running notice');
    await manager.stop();
    expect(await done).toBe(0);
    expect(stops()).toBe(1);
  });

  it('exits 1 and prints every config issue when start fails', async () => {
    const error = new ConfigError([
      { file: '/c.yaml', path: 'servers.a', line: 2, column: 3, message: 'unknown key "comand"' },
      { file: '/c.yaml', path: 'servers.b.url', line: 7, column: 5, message: 'expected a URL' },
    ]);
    const ctx = testContext(stateDir, { createLogger: silentLogger, startManager: () => Promise.reject(error) });
    expect(await runCli(['start'], ctx)).toBe(1);
    expect(ctx.stderr()).toBe(
      'mcp-manager: invalid config (2 problems):\n' +
        '  /c.yaml:2:3: servers.a: unknown key "comand"\n' +
        '  /c.yaml:7:5: servers.b.url: expected a URL\n',
    );
  });

  it('exits 1 with the message when another manager runs', async () => {
    const error = new ManagerError('MANAGER_RUNNING', 'mcp-manager is already running (pid 7) with state dir /s; stop it');
    const ctx = testContext(stateDir, { createLogger: silentLogger, startManager: () => Promise.reject(error) });
    expect(await runCli(['start'], ctx)).toBe(1);
    expect(ctx.stderr()).toBe('mcp-manager: mcp-manager is already running (pid 7) with state dir /s; stop it\n');
  });
});

describe('crashes: the CLI process, never the library', () => {
  it('startManager installs no process-wide crash handler; `start` stops the servers and exits 1 on a crash', async () => {
    const config = writeConfig(stateDir, echoServer('echo'));
    const listeners = () => [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    const before = listeners();
    const crashes = new EventEmitter();
    const ctx = testContext(stateDir, {
      createLogger: silentLogger,
      onCrash(handler) {
        crashes.on('crash', handler);
        return () => crashes.off('crash', handler);
      },
    });
    const done = runCli(['start', '--config', config, '--state-dir', join(stateDir, 'state')], ctx);
    const control = createControlClient(join(stateDir, 'state', 'control.sock'));
    const echo = await waitUntil(
      async () => (await control.status().catch(() => undefined))?.servers.find((s) => s.name === 'echo' && s.state === 'healthy'),
      { timeoutMs: 20_000, what: 'echo to be healthy' },
    );
    // the running manager (the library) left the host's crash handling alone
    expect(listeners()).toEqual(before);
    expect(crashes.listenerCount('crash')).toBe(1);

    crashes.emit('crash', new Error('boom'));
    expect(await done).toBe(1);
    expect(isAlive(echo.pid!)).toBe(false);
    expect(ctx.stderr()).toContain('mcp-manager crashed: boom; stopping the servers');
    expect(crashes.listenerCount('crash')).toBe(0);
  });
});
