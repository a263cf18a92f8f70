import { MAX_MESSAGE_DEPTH, excessiveNesting } from '../../gateway/depth.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, usageError } from '../args.js';
import { clientFor, parseServerName } from './servers.js';

export interface CapabilitiesArgs {
  server?: string;
  json: boolean;
  stateDir?: string;
}

const CAPABILITIES_OPTIONS = {
  server: { type: 'string', short: 's' },
  json: { type: 'boolean' },
  ...STATE_DIR_OPTION,
} as const;

export function parseCapabilitiesArgs(argv: readonly string[]): CapabilitiesArgs {
  const { values } = parseCommandArgs(argv, CAPABILITIES_OPTIONS);
  const args: CapabilitiesArgs = { json: values.json ?? false };
  if (values.server !== undefined) args.server = parseServerName(values.server);
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const capabilitiesCommand = defineCommand({
  name: 'capabilities',
  usage: 'capabilities [--server NAME] [--json] [--state-dir DIR]',
  summary: 'show the tools, prompts and resources of each server',
  help: [
    ['-s, --server NAME', 'only this server'],
    ['--json', 'print one JSON document: {servers: [{name, state, serverInfo, tools, prompts, resources, resourceTemplates}]}'],
    STATE_DIR_HELP,
  ],
  options: CAPABILITIES_OPTIONS,
  parse: parseCapabilitiesArgs,
  run: async (args, ctx) => {
    const snapshot = await clientFor(args.stateDir, ctx).capabilities(args.server === undefined ? {} : { server: args.server });
    if (args.json) ctx.print.json(snapshot);
    else ctx.print.capabilities(snapshot);
    return 0;
  },
});

export interface CallArgs {
  server: string;
  tool: string;
  args: Record<string, unknown>;
  json: boolean;
  stateDir?: string;
}

const CALL_OPTIONS = {
  args: { type: 'string', short: 'a' },
  json: { type: 'boolean' },
  ...STATE_DIR_OPTION,
} as const;

/** Levels `--args` may nest: what a tools/call message carries, less its own envelope. */
const MAX_ARGS_DEPTH = MAX_MESSAGE_DEPTH - 3;

/** `--args`: a JSON object, e.g. `'{"path": "/tmp"}'`. */
export function parseToolArgs(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(`--args is not valid JSON: ${(error as Error).message}`);
  }
  const where = excessiveNesting(value, MAX_ARGS_DEPTH);
  if (where !== null) throw usageError(`--args is nested deeper than ${MAX_ARGS_DEPTH} levels at ${where}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw usageError(`--args must be a JSON object like '{"key": "value"}', got ${kind}`);
  }
  return value as Record<string, unknown>;
}

export function parseCallArgs(argv: readonly string[]): CallArgs {
  const { values, positionals } = parseCommandArgs(argv, CALL_OPTIONS, ['SERVER', 'TOOL']);
  const tool = positionals[1] ?? '';
  if (tool === '') throw usageError('TOOL must not be empty');
  const args: CallArgs = {
    server: parseServerName(positionals[0]),
    tool,
    args: values.args === undefined ? {} : parseToolArgs(values.args),
    json: values.json ?? false,
  };
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const callCommand = defineCommand({
  name: 'call',
  usage: 'call SERVER TOOL [--args JSON] [--json] [--state-dir DIR]',
  summary: "call TOOL (the server's own name) of SERVER; exit 1 when the tool reports an error",
  help: [
    ['-a, --args JSON', `the tool's arguments as a JSON object (default {})`],
    ['--json', 'print the whole tool result as one JSON document'],
    STATE_DIR_HELP,
  ],
  options: CALL_OPTIONS,
  parse: parseCallArgs,
  run: async (args, ctx) => {
    const result = await clientFor(args.stateDir, ctx).callTool(args.server, args.tool, args.args);
    if (args.json) ctx.print.json(result);
    else ctx.print.toolResult(result, { server: args.server, tool: args.tool });
    return result.isError === true ? 1 : 0;
  },
});
