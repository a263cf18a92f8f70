import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ManagerError } from '../errors.js';
import type { CliContext } from './context.js';

/** `util.parseArgs` option definitions (the type itself is not exported by @types/node). */
export type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** A CLI command: parsing (usage errors, exit 2) is separate from running (failures, exit 1). */
export interface Command {
  readonly name: string;
  /** Synopsis without the program name, e.g. `status [--detailed] [--json]`. */
  readonly usage: string;
  readonly summary: string;
  /** Option lines for `help COMMAND`: [flags, description]. */
  readonly help: readonly (readonly [string, string])[];
  readonly options: ParseArgsOptionsConfig;
  /** Parse `argv` (throws a USAGE ManagerError) and return the work to do. */
  prepare(argv: readonly string[]): (ctx: CliContext) => Promise<number>;
}

export interface CommandDefinition<A> extends Omit<Command, 'prepare'> {
  parse: (argv: readonly string[]) => A;
  run: (args: A, ctx: CliContext) => Promise<number>;
}

export function defineCommand<A>(definition: CommandDefinition<A>): Command {
  const { parse, run, ...info } = definition;
  return {
    ...info,
    prepare(argv) {
      const args = parse(argv);
      return (ctx) => run(args, ctx);
    },
  };
}

export function usageError(message: string): ManagerError {
  return new ManagerError('USAGE', message);
}

/** `--state-dir DIR`, accepted by every command that talks to a running manager. */
export const STATE_DIR_OPTION = { 'state-dir': { type: 'string' } } as const satisfies ParseArgsOptionsConfig;
export const STATE_DIR_HELP = [
  '--state-dir DIR',
  'state dir of the manager (default: $MCP_MANAGER_HOME, $XDG_STATE_HOME/mcp-manager, ~/.local/state/mcp-manager)',
] as const;

/**
 * `util.parseArgs` in strict mode with short, one-line usage errors. `positionals` names the
 * expected positional arguments; names ending in `?` are optional.
 */
export type ParsedArgs<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>;

export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  options: O,
  positionals: readonly string[] = [],
): ParsedArgs<O> {
  let parsed: ParsedArgs<O>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw usageError(describeParseError(error));
  }
  const required = positionals.filter((name) => !name.endsWith('?'));
  if (parsed.positionals.length < required.length) {
    throw usageError(`missing ${required[parsed.positionals.length]}`);
  }
  if (parsed.positionals.length > positionals.length) {
    throw usageError(`unexpected argument '${parsed.positionals[positionals.length]}'`);
  }
  return parsed;
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = message ?? String(error);
  // Node quotes the option as '-c, --config <value>' or '--json'; keep the long name.
  const quoted = /'([^']+)'/
    .exec(text)?.[1]
    ?.replace(/^-\w, /, '')
    .replace(/ <value>$/, '');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) return `unknown option '${quoted}'`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) {
    if (text.includes('argument missing')) return `option '${quoted}' needs a value`;
    if (text.includes('ambiguous')) return `option '${quoted}' needs a value (for one starting with '-', write ${quoted}=VALUE)`;
    if (text.includes('does not take an argument')) return `option '${quoted}' does not take a value`;
  }
  // First sentence, lower-cased like our other messages.
  const first = text.split('. ')[0] ?? text;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/** A non-negative integer option value. */
export function parseCount(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw usageError(`${flag} expects a non-negative integer, got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw usageError(`${flag} is too large: '${value}'`);
  return n;
}

/** `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (host defaults to 127.0.0.1). */
export function parseHostPort(flag: string, value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const portText = match?.[3];
  if (!match || portText === undefined) throw usageError(`${flag} expects HOST:PORT, got '${value}'`);
  const port = Number(portText);
  if (port > 65535) throw usageError(`${flag}: port must be 0-65535, got ${portText}`);
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port };
}
