import { createControlClient, type ControlClient } from '../../control/client.js';
import { isSafeLogName, resolveStateDir, socketPathOf } from '../../state/paths.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, usageError, type Command } from '../args.js';
import type { CliContext } from '../context.js';
import { watchStatus } from '../status-watch.js';
import { withProgress } from '../start-progress.js';

/** A control client for the manager of the state dir `--state-dir` (or the environment) names. */
export function clientFor(stateDirFlag: string | undefined, ctx: CliContext): ControlClient {
  const stateDir = resolveStateDir({ flag: stateDirFlag, env: ctx.env, cwd: ctx.cwd });
  return createControlClient(socketPathOf(stateDir));
}

export interface StatusArgs {
  detailed: boolean;
  json: boolean;
  watch?: boolean;
  stateDir?: string;
}

const STATUS_OPTIONS = {
  detailed: { type: 'boolean' },
  json: { type: 'boolean' },
  watch: { type: 'boolean', short: 'w' },
  ...STATE_DIR_OPTION,
} as const;

export function parseStatusArgs(argv: readonly string[]): StatusArgs {
  const { values } = parseCommandArgs(argv, STATUS_OPTIONS);
  const args: StatusArgs = { detailed: values.detailed ?? false, json: values.json ?? false };
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  if (values.watch === true) {
    if (args.json) throw usageError('--watch and --json cannot be combined (follow GET /events on the control socket for a stream)');
    args.watch = true;
  }
  return args;
}

export const statusCommand = defineCommand({
  name: 'status',
  usage: 'status [--detailed] [--json] [--watch] [--state-dir DIR]',
  summary: 'show the manager and the state of every server',
  help: [
    ['--detailed', 'add command, tools, last exit and stderr tail per server'],
    ['--json', 'print one JSON document: {manager, servers: [...]}'],
    ['-w, --watch', 'a live table redrawn as the manager reports changes (q or Ctrl-C quits)'],
    STATE_DIR_HELP,
  ],
  options: STATUS_OPTIONS,
  parse: parseStatusArgs,
  run: async (args, ctx) => {
    if (args.watch) {
      return watchStatus({ socketPath: socketPathOf(resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd })) }, ctx);
    }
    const client = clientFor(args.stateDir, ctx);
    if (args.json) {
      ctx.print.json(await client.status({ detailed: args.detailed }));
    } else {
      // The table's UPTIME and TOOLS columns come from the detailed snapshot.
      ctx.print.status(await client.status({ detailed: true }), { detailed: args.detailed });
    }
    return 0;
  },
});

export interface ListServersArgs {
  json: boolean;
  stateDir?: string;
}

const LIST_OPTIONS = { json: { type: 'boolean' }, ...STATE_DIR_OPTION } as const;

export function parseListServersArgs(argv: readonly string[]): ListServersArgs {
  const { values } = parseCommandArgs(argv, LIST_OPTIONS);
  const args: ListServersArgs = { json: values.json ?? false };
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const listServersCommand = defineCommand({
  name: 'list-servers',
  usage: 'list-servers [--json] [--state-dir DIR]',
  summary: 'list the configured servers',
  help: [['--json', 'print one JSON document: {servers: [...]}'], STATE_DIR_HELP],
  options: LIST_OPTIONS,
  parse: parseListServersArgs,
  run: async (args, ctx) => {
    const servers = await clientFor(args.stateDir, ctx).servers();
    if (args.json) ctx.print.json({ servers });
    else ctx.print.servers(servers);
    return 0;
  },
});

export interface ServerActionArgs {
  name: string;
  stateDir?: string;
}

const ACTION_OPTIONS = { ...STATE_DIR_OPTION } as const;

/** `NAME [--state-dir DIR]`, shared by start-server, stop-server, restart-server and logs. */
export function parseServerName(value: string | undefined): string {
  if (value === undefined) throw usageError('missing NAME');
  if (!isSafeLogName(value)) throw usageError(`invalid server name '${value}'`);
  return value;
}

export function parseServerActionArgs(argv: readonly string[]): ServerActionArgs {
  const { values, positionals } = parseCommandArgs(argv, ACTION_OPTIONS, ['NAME']);
  const args: ServerActionArgs = { name: parseServerName(positionals[0]) };
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

const ACTIONS = {
  start: { past: 'started', summary: 'start a stopped or failed server', call: 'startServer' },
  stop: { past: 'stopped', summary: 'stop a server (it stays down until started)', call: 'stopServer' },
  restart: { past: 'restarted', summary: 'restart a server (full handshake, catalog republished)', call: 'restartServer' },
} as const;

function serverActionCommand(action: keyof typeof ACTIONS): Command {
  const { past, summary, call } = ACTIONS[action];
  return defineCommand({
    name: `${action}-server`,
    usage: `${action}-server NAME [--state-dir DIR]`,
    summary,
    help: [STATE_DIR_HELP],
    options: ACTION_OPTIONS,
    parse: parseServerActionArgs,
    run: async (args, ctx) => {
      const socketPath = socketPathOf(resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd }));
      const client = createControlClient(socketPath);
      await withProgress(ctx, socketPath, [args.name], `${action === 'stop' ? 'stopping' : `${action}ing`} ${args.name}`, () =>
        client[call](args.name),
      );
      ctx.print.line(`${past} server "${args.name}"`);
      return 0;
    },
  });
}

export const startServerCommand = serverActionCommand('start');
export const stopServerCommand = serverActionCommand('stop');
export const restartServerCommand = serverActionCommand('restart');
