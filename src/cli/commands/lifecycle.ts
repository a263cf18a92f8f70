import { createConnection } from 'node:net';
import { existsSync, fstatSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createControlClient } from '../../control/client.js';
import { errorMessage } from '../../errors.js';
import { liveHolder, managerRunningError, readLockRecord } from '../../state/lock.js';
import { isProcessAlive, isSameProcess } from '../../transports/process-group.js';
import { managerLogOf, resolveStateDir, socketPathOf } from '../../state/paths.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, parseHostPort, usageError } from '../args.js';
import { loadStartManager, type CliContext, type CliStartOptions } from '../context.js';
import { spawnDaemon } from '../daemon.js';
import { resolveConfigFile } from '../package-info.js';
import { withProgress } from '../start-progress.js';
import { followStart } from '../start-view.js';

export interface StartArgs {
  configFile?: string;
  stateDir?: string;
  daemon: boolean;
  http?: { host: string; port: number };
  stdio: boolean;
  /** `json`: JSON log lines on stderr even on a terminal. */
  logFormat?: 'text' | 'json';
  /** `--inspect [--inspect-url URL]`: the actors, live in Stately's inspector. */
  inspect?: { url: string };
}

const START_OPTIONS = {
  config: { type: 'string', short: 'c' },
  daemon: { type: 'boolean', short: 'd' },
  http: { type: 'string' },
  stdio: { type: 'boolean' },
  'log-format': { type: 'string' },
  inspect: { type: 'boolean' },
  'inspect-url': { type: 'string' },
  ...STATE_DIR_OPTION,
} as const;

export function parseStartArgs(argv: readonly string[]): StartArgs {
  const { values } = parseCommandArgs(argv, START_OPTIONS);
  const args: StartArgs = { daemon: values.daemon ?? false, stdio: values.stdio ?? false };
  if (values.config !== undefined) args.configFile = values.config;
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  if (values.http !== undefined) args.http = parseHostPort('--http', values.http);
  const format = values['log-format'];
  if (format !== undefined) {
    if (format !== 'text' && format !== 'json') throw usageError(`--log-format expects text or json, got '${format}'`);
    args.logFormat = format;
  }
  if (values['inspect-url'] !== undefined && !values.inspect) throw usageError('--inspect-url needs --inspect');
  if (values.inspect) args.inspect = { url: parseInspectUrl(values['inspect-url'] ?? DEFAULT_INSPECT_URL) };
  if (args.daemon && args.stdio) {
    throw usageError('--daemon and --stdio cannot be combined: the stdio gateway needs this terminal');
  }
  return args;
}

/** Stately's local inspector server listens here by default (`@statelyai/inspect/server`). */
const DEFAULT_INSPECT_URL = 'ws://127.0.0.1:8080';

function parseInspectUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`--inspect-url: expected a ws:// or wss:// URL, got '${value}'`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw usageError(`--inspect-url: expected a ws:// or wss:// URL, got '${value}'`);
  return url.href;
}

export const startCommand = defineCommand({
  name: 'start',
  usage:
    'start [--config FILE] [--daemon] [--state-dir DIR] [--http HOST:PORT] [--stdio] [--log-format text|json] [--inspect [--inspect-url URL]]',
  summary: 'run the manager in the foreground (--daemon: in the background)',
  help: [
    ['-c, --config FILE', 'config file (default: $MCP_MANAGER_CONFIG, else the bundled config/default.yaml)'],
    ['-d, --daemon', 'start in the background, wait until it answers, print its pid'],
    ['--http HOST:PORT', 'serve the MCP gateway over Streamable HTTP at http://HOST:PORT/mcp'],
    ['--stdio', 'serve the MCP gateway on stdin/stdout'],
    ['--log-format text|json', 'on a terminal, progress is shown and logs go to the log file; json: JSON log lines on stderr too'],
    ['--inspect', `send the actors to Stately's inspector over WebSocket (default ${DEFAULT_INSPECT_URL})`],
    ['--inspect-url URL', 'where the inspector listens (ws:// or wss://)'],
    STATE_DIR_HELP,
  ],
  options: START_OPTIONS,
  parse: parseStartArgs,
  run: runStart,
});

async function runStart(args: StartArgs, ctx: CliContext): Promise<number> {
  const configFile = resolveConfigFile(args.configFile, ctx.env, ctx.cwd);
  const stateDir = resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd });
  if (args.daemon) return startInBackground(args, configFile, stateDir, ctx);

  // Listen before starting: a Ctrl-C during startup must still stop what was started.
  let stopRequested: NodeJS.Signals | undefined;
  let requestStop: (signal: NodeJS.Signals) => void = (signal) => {
    stopRequested = signal;
  };
  const unsubscribe = ctx.onSignal((signal) => requestStop(signal));
  // a crash of this process stops the servers, then the process exits with a failure
  let crashed: unknown;
  let crash: (error: unknown) => void = (error) => {
    crashed ??= error;
  };
  const unsubscribeCrash = ctx.onCrash?.((error) => crash(error)) ?? (() => undefined);
  try {
    const startManager = await loadStartManager(ctx);
    // The composition root builds the logger (at the config's level) unless a test injects one.
    const options: CliStartOptions = { configFile, stateDir, env: ctx.env };
    // on a terminal the servers' progress is shown; the JSON log lines go to the log file
    const view = !args.stdio && args.logFormat !== 'json' && !ctx.createLogger && process.stderr.isTTY === true;
    if (ctx.createLogger) options.logger = ctx.createLogger();
    // on a terminal the progress view owns stderr: log lines go to logs/manager.log only
    else if (view) options.logToStderr = false;
    // a daemon's stderr is manager.log already: log lines go there once
    if (stderrIsFile(managerLogOf(stateDir))) options.logToStderr = false;
    if (args.http) options.http = args.http;
    if (args.stdio) options.stdio = true;
    if (args.inspect) options.inspect = args.inspect;
    const manager = await startManager(options);

    let stopping: Promise<boolean> | undefined;
    requestStop = (signal) => {
      if (stopping) {
        ctx.print.notice(`received ${signal} again; still stopping`);
        return;
      }
      ctx.print.notice(`received ${signal}, stopping`);
      stopping = manager.stop(`received ${signal}`).then(
        () => true,
        (error: unknown) => {
          ctx.print.error(error);
          return false;
        },
      );
    };
    crash = (error) => {
      ctx.print.notice(`mcp-manager crashed: ${errorMessage(error)}; stopping the servers`);
      if (stopping) return;
      stopping = manager.stop(`crashed: ${errorMessage(error)}`).then(
        () => false,
        () => false,
      );
    };
    if (crashed !== undefined) crash(crashed);
    else if (stopRequested) requestStop(stopRequested);
    else if (view) await followStart(manager, configFile, ctx, () => stopping !== undefined);
    else
      ctx.print.notice(`mcp-manager running (pid ${process.pid}), state dir ${manager.stateDir}; stop with Ctrl-C or "mcp-manager stop"`);

    await manager.closed;
    const stoppedCleanly = stopping ? await stopping : true;
    return stoppedCleanly ? 0 : 1;
  } finally {
    unsubscribe();
    unsubscribeCrash();
  }
}

async function startInBackground(args: StartArgs, configFile: string, stateDir: string, ctx: CliContext): Promise<number> {
  const holder = await liveHolder(stateDir);
  if (holder !== null) throw managerRunningError(holder, stateDir);

  const childArgs = [...ctx.self.args, 'start', '--config', configFile, '--state-dir', stateDir];
  if (args.http) childArgs.push('--http', formatHostPort(args.http));
  if (args.inspect) childArgs.push('--inspect', '--inspect-url', args.inspect.url);
  const result = await spawnDaemon({ command: ctx.self.command, args: childArgs, cwd: ctx.cwd, env: ctx.env, stateDir });
  if (result.ok) {
    ctx.print.line(`mcp-manager started in the background (pid ${result.pid}); log: ${result.logFile}`);
    if (!result.settled) ctx.print.notice('some servers are still starting; see "mcp-manager status"');
    ctx.print.status(result.status, { detailed: false });
    return 0;
  }
  const what =
    result.reason === 'exited'
      ? `mcp-manager ${result.detail} during startup`
      : `mcp-manager (pid ${result.pid ?? '?'}) ${result.detail}; it may still be starting`;
  ctx.print.notice(`mcp-manager: ${what}`);
  if (result.logTail.length > 0) {
    ctx.print.notice(`last lines of ${result.logFile}:`);
    ctx.print.notice(result.logTail.map((line) => `  ${line}`).join('\n'));
  }
  return 1;
}

/** Whether fd 2 is `file` (a daemon started by `start --daemon`). */
function stderrIsFile(file: string): boolean {
  try {
    const err = fstatSync(2);
    const log = statSync(file);
    return err.ino === log.ino && err.dev === log.dev;
  } catch {
    return false;
  }
}

function formatHostPort({ host, port }: { host: string; port: number }): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface StopArgs {
  stateDir?: string;
}

const STOP_OPTIONS = { ...STATE_DIR_OPTION } as const;

export function parseStopArgs(argv: readonly string[]): StopArgs {
  const { values } = parseCommandArgs(argv, STOP_OPTIONS);
  return values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] };
}

/** How long `stop` waits for the manager to finish stopping its servers. */
export const STOP_TIMEOUT_MS = 60_000;

export const stopCommand = defineCommand({
  name: 'stop',
  usage: 'stop [--state-dir DIR]',
  summary: 'stop the running manager and all its servers',
  help: [STATE_DIR_HELP],
  options: STOP_OPTIONS,
  parse: parseStopArgs,
  run: async (args, ctx) => {
    const stateDir = resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd });
    const socketPath = socketPathOf(stateDir);
    const record = readLockRecord(stateDir);
    const pid = record?.pid ?? null;

    // Gone means: its process has exited (when we know it), else its socket no longer answers.
    const gone = async (): Promise<boolean> => {
      if (record === null) return !(await socketAnswers(socketPath));
      return record.startTime !== null ? !(await isSameProcess(record.pid, record.startTime)) : !(await isProcessAlive(record.pid));
    };
    const stop = async (): Promise<boolean> => {
      await createControlClient(socketPath).shutdown();
      if (!ctx.print.interactive) ctx.print.notice(`stopping mcp-manager${pid === null ? '' : ` (pid ${pid})`}`);
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (!(await gone())) {
        if (Date.now() >= deadline) return false;
        await sleep(100);
      }
      return true;
    };
    // on a terminal: every server going down, as the manager reports it
    const names = ctx.print.interactive
      ? (
          (
            await createControlClient(socketPath)
              .status()
              .catch(() => null)
          )?.servers ?? []
        ).map((s) => s.name)
      : [];
    const stopped =
      names.length > 0
        ? await withProgress(ctx, socketPath, names, `stopping mcp-manager${pid === null ? '' : ` (pid ${pid})`}`, stop)
        : await stop();
    if (!stopped) {
      ctx.print.error(`mcp-manager${pid === null ? '' : ` (pid ${pid})`} is still stopping after ${STOP_TIMEOUT_MS / 1000} s`);
      return 1;
    }
    ctx.print.line(`mcp-manager stopped${pid === null ? '' : ` (pid ${pid})`}`);
    return 0;
  },
});

/** True when something accepts connections on the unix socket. */
function socketAnswers(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
