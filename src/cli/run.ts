import { ManagerError } from '../errors.js';
import type { Command } from './args.js';
import { COMMANDS, HIDDEN_COMMANDS, loadCommands, type CommandEntry } from './commands/index.js';
import { processCrashes, processSignals, type CliContext } from './context.js';
import { packageVersion } from '../package-info.js';
import { withManagerFlags } from './heap.js';
import { createPrinter, formatTable } from './print.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const GLOBAL_USAGE = '<command> [options]   (see "mcp-manager help")';

export function defaultContext(): CliContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    print: createPrinter(),
    onSignal: processSignals,
    onCrash: processCrashes,
    // a manager this process launches or writes down runs with the manager's V8 flags
    self: { command: process.execPath, args: [...withManagerFlags(process.execArgv, process.env.NODE_OPTIONS), process.argv[1] ?? ''] },
  };
}

/** Run one CLI invocation; resolves with the exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [first, ...rest] = hoistStateDir(argv);

  if (first === undefined) {
    ctx.print.notice(await globalHelp());
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h') {
    ctx.print.line(await globalHelp());
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    ctx.print.line(packageVersion());
    return EXIT_OK;
  }
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      ctx.print.line(await globalHelp());
      return EXIT_OK;
    }
    const entry = findCommand(topic);
    if (!entry) return unknownCommand(topic, ctx);
    ctx.print.line(commandHelp(await entry.load()));
    return EXIT_OK;
  }

  const entry = findCommand(first);
  if (!entry) return unknownCommand(first, ctx);
  let command: Command;
  try {
    command = await entry.load();
  } catch (error) {
    ctx.print.error(error);
    return EXIT_FAILURE;
  }
  if (wantsHelp(rest)) {
    ctx.print.line(commandHelp(command));
    return EXIT_OK;
  }

  let work: (ctx: CliContext) => Promise<number>;
  try {
    work = command.prepare(rest);
  } catch (error) {
    if (ManagerError.is(error) && error.code === 'USAGE') {
      ctx.print.usageError(`${command.name}: ${error.message}`, command.usage);
      return EXIT_USAGE;
    }
    ctx.print.error(error);
    return EXIT_FAILURE;
  }
  try {
    return await work(ctx);
  } catch (error) {
    ctx.print.error(error);
    return EXIT_FAILURE;
  }
}

function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name) ?? HIDDEN_COMMANDS.find((c) => c.name === name);
}

function unknownCommand(name: string, ctx: CliContext): number {
  const what = name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`;
  ctx.print.usageError(what, GLOBAL_USAGE);
  return EXIT_USAGE;
}

/** `--help`/`-h` anywhere before a `--` terminator. */
function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** Allow `mcp-manager --state-dir DIR status`: move a leading --state-dir after the command. */
function hoistStateDir(argv: readonly string[]): string[] {
  const args = [...argv];
  const hoisted: string[] = [];
  for (;;) {
    const head = args[0];
    if (head === '--state-dir' && args.length >= 2) hoisted.push(...args.splice(0, 2));
    else if (head?.startsWith('--state-dir=')) hoisted.push(...args.splice(0, 1));
    else break;
  }
  if (hoisted.length === 0 || args.length === 0) return [...hoisted, ...args];
  const [command, ...rest] = args as [string, ...string[]];
  return [command, ...hoisted, ...rest];
}

export async function globalHelp(): Promise<string> {
  const rows = (await loadCommands()).map((c) => [`  ${c.name}`, c.summary]);
  rows.push(['  help [COMMAND]', 'show help for a command']);
  return [
    'usage: mcp-manager <command> [options]',
    '',
    'Supervisor and gateway for MCP servers.',
    '',
    'commands:',
    formatTable(rows),
    '',
    'options:',
    formatTable([
      ['  -h, --help', 'show help (also after a command)'],
      ['  -V, --version', 'print the version'],
    ]),
    '',
    'The CLI finds the running manager through its state dir: --state-dir DIR, else',
    '$MCP_MANAGER_HOME, else $XDG_STATE_HOME/mcp-manager, else ~/.local/state/mcp-manager.',
    'Exit codes: 0 ok, 1 failure, 2 usage error.',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const lines = [`usage: mcp-manager ${command.usage}`, '', command.summary];
  const options = [...command.help, ['-h, --help', 'show this help'] as const];
  lines.push('', 'options:', formatTable(options.map(([flags, text]) => [`  ${flags}`, text])));
  return lines.join('\n');
}
