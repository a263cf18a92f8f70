import { readdir } from 'node:fs/promises';
import { ManagerError } from '../../errors.js';
import { rotatedNameOf } from '../../state/log-files.js';
import { followFile, readLastLines } from '../../state/log-tail.js';
import { logDirOf, logOf, resolveStateDir } from '../../state/paths.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, parseCount } from '../args.js';
import type { CliContext } from '../context.js';
import { parseServerName } from './servers.js';

export interface LogsArgs {
  /** A server's log; absent: the manager's own. */
  name?: string;
  follow: boolean;
  lines: number;
  stateDir?: string;
}

export const DEFAULT_LOG_LINES = 50;

const LOGS_OPTIONS = {
  follow: { type: 'boolean', short: 'f' },
  lines: { type: 'string', short: 'n' },
  ...STATE_DIR_OPTION,
} as const;

export function parseLogsArgs(argv: readonly string[]): LogsArgs {
  const { values, positionals } = parseCommandArgs(argv, LOGS_OPTIONS, ['NAME?']);
  const args: LogsArgs = {
    follow: values.follow ?? false,
    lines: values.lines === undefined ? DEFAULT_LOG_LINES : parseCount('--lines', values.lines),
  };
  if (positionals[0] !== undefined) args.name = parseServerName(positionals[0]);
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const logsCommand = defineCommand({
  name: 'logs',
  usage: 'logs [NAME] [--follow] [--lines N] [--state-dir DIR]',
  summary: "print a server's log (all its instances), or without NAME the manager's own",
  help: [
    ['-n, --lines N', `how many of the last lines to print (default ${DEFAULT_LOG_LINES})`],
    ['-f, --follow', 'keep printing lines as they are appended (across rotation and restarts), until Ctrl-C'],
    STATE_DIR_HELP,
  ],
  options: LOGS_OPTIONS,
  parse: parseLogsArgs,
  run: runLogs,
});

async function runLogs(args: LogsArgs, ctx: CliContext): Promise<number> {
  const stateDir = resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd });
  const file = logOf(stateDir, args.name);

  let last;
  try {
    last = await readLastLines(file, args.lines);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (args.name === undefined) {
      throw new ManagerError(
        'CONTROL_FAILED',
        `no manager log yet (${file} does not exist); has mcp-manager run with state dir ${stateDir}?`,
        {
          data: { file },
        },
      );
    }
    throw new ManagerError('SERVER_NOT_FOUND', await noLogMessage(args.name, stateDir, file), {
      data: { server: args.name, file },
    });
  }
  ctx.print.lines(last.lines);
  if (!args.follow) return 0;

  const stop = new AbortController();
  const unsubscribe = ctx.onSignal(() => stop.abort());
  try {
    await followFile(file, {
      from: last.end,
      signal: stop.signal,
      onLines: (lines) => ctx.print.lines(lines),
      rotatedName: (index) => rotatedNameOf(file, index),
    });
  } finally {
    unsubscribe();
  }
  return 0;
}

async function noLogMessage(name: string, stateDir: string, file: string): Promise<string> {
  const names = await readdir(logDirOf(stateDir)).then(
    (entries) =>
      entries
        .filter((e) => e.endsWith('.log') && e !== 'manager.log')
        .map((e) => e.slice(0, -'.log'.length))
        .sort(),
    () => [],
  );
  const known = names.length > 0 ? `logs exist for: ${names.join(', ')}` : `no server logs in ${stateDir} yet`;
  return `no log for server "${name}" (${file} does not exist); ${known}`;
}
