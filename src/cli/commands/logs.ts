import { readdir } from 'node:fs/promises';
import { ManagerError } from '../../errors.js';
import { followFile, readLastLines } from '../../state/log-tail.js';
import { logDirOf, logFileOf, resolveStateDir } from '../../state/paths.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, parseCount } from '../args.js';
import type { CliContext } from '../context.js';
import { parseServerName } from './servers.js';

export interface LogsArgs {
  name: string;
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
  const { values, positionals } = parseCommandArgs(argv, LOGS_OPTIONS, ['NAME']);
  const args: LogsArgs = {
    name: parseServerName(positionals[0]),
    follow: values.follow ?? false,
    lines: values.lines === undefined ? DEFAULT_LOG_LINES : parseCount('--lines', values.lines),
  };
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const logsCommand = defineCommand({
  name: 'logs',
  usage: 'logs NAME [--follow] [--lines N] [--state-dir DIR]',
  summary: "print a server's log (stderr of stdio servers)",
  help: [
    ['-n, --lines N', `how many of the last lines to print (default ${DEFAULT_LOG_LINES})`],
    ['-f, --follow', 'keep printing lines as they are appended, until Ctrl-C'],
    STATE_DIR_HELP,
  ],
  options: LOGS_OPTIONS,
  parse: parseLogsArgs,
  run: runLogs,
});

async function runLogs(args: LogsArgs, ctx: CliContext): Promise<number> {
  const stateDir = resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd });
  const file = logFileOf(stateDir, args.name);

  let last;
  try {
    last = await readLastLines(file, args.lines);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new ManagerError('SERVER_NOT_FOUND', await noLogMessage(args.name, stateDir, file), {
      data: { server: args.name, file },
    });
  }
  ctx.print.lines(last.lines);
  if (!args.follow) return 0;

  const stop = new AbortController();
  const unsubscribe = ctx.onSignal(() => stop.abort());
  try {
    await followFile(file, { from: last.end, signal: stop.signal, onLines: (lines) => ctx.print.lines(lines) });
  } finally {
    unsubscribe();
  }
  return 0;
}

async function noLogMessage(name: string, stateDir: string, file: string): Promise<string> {
  const names = await readdir(logDirOf(stateDir)).then(
    (entries) => entries.filter((e) => e.endsWith('.log')).map((e) => e.slice(0, -'.log'.length)).sort(),
    () => [],
  );
  const known = names.length > 0 ? `logs exist for: ${names.join(', ')}` : `no server logs in ${stateDir} yet`;
  return `no log for server "${name}" (${file} does not exist); ${known}`;
}
