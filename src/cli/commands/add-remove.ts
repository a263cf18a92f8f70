import { createInterface } from 'node:readline/promises';
import { addServer, removeServer, type ServerEntryData } from '../../config/edit.js';
import { SERVER_NAME } from '../../config/schema.js';
import { extractSecrets } from '../../config/secrets.js';
import { catalogFileOf, entryFromCatalog, placeholdersIn, readCatalog } from '../../config/server-catalog.js';
import { ManagerError } from '../../errors.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, parseCount, usageError } from '../args.js';
import { applyConfigEdit, envFileValues, resolveEditTarget, showEditProgress } from '../config-edit.js';
import type { EditReport } from '../reports.js';
import type { CliContext } from '../context.js';
import { packageRoot } from '../../package-info.js';

export interface AddArgs {
  name: string;
  configFile?: string;
  stateDir?: string;
  json: boolean;
  command?: string[];
  url?: string;
  fromCatalog?: string;
  transport?: string;
  env: [string, string][];
  headers: [string, string][];
  tags: string[];
  replicas?: number;
  description?: string;
  cwd?: string;
  prefix?: string;
  disabled: boolean;
}

const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;
const CONFIG_HELP = [
  '-c, --config FILE',
  "config file to edit (default: $MCP_MANAGER_CONFIG, else the running manager's, else the bundled one)",
] as const;

const ADD_OPTIONS = {
  ...CONFIG_OPTION,
  url: { type: 'string' },
  'from-catalog': { type: 'string' },
  transport: { type: 'string' },
  env: { type: 'string', multiple: true, short: 'e' },
  header: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  replicas: { type: 'string' },
  description: { type: 'string' },
  cwd: { type: 'string' },
  prefix: { type: 'string' },
  disabled: { type: 'boolean' },
  json: { type: 'boolean' },
  ...STATE_DIR_OPTION,
} as const;

function keyValue(flag: string, text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw usageError(`${flag} expects KEY=VALUE, got '${text}'`);
  return [text.slice(0, at), text.slice(at + 1)];
}

export function parseAddArgs(argv: readonly string[]): AddArgs {
  const dash = argv.indexOf('--');
  const head = dash === -1 ? argv : argv.slice(0, dash);
  const command = dash === -1 ? undefined : argv.slice(dash + 1);
  const { values, positionals } = parseCommandArgs(head, ADD_OPTIONS, ['NAME']);
  const name = positionals[0]!;
  if (!SERVER_NAME.test(name)) throw usageError(`server name '${name}' must be 1-64 letters, digits, "_", "." or "-"`);
  const sources = [command !== undefined, values.url !== undefined, values['from-catalog'] !== undefined].filter(Boolean).length;
  if (sources === 0) throw usageError('say what to run: -- COMMAND ARGS…, --url URL or --from-catalog ENTRY');
  if (sources > 1) throw usageError('give only one of -- COMMAND ARGS…, --url URL and --from-catalog ENTRY');
  if (command !== undefined && command.length === 0) throw usageError('missing COMMAND after --');
  const args: AddArgs = {
    name,
    json: values.json ?? false,
    disabled: values.disabled ?? false,
    env: (values.env ?? []).map((e) => keyValue('--env', e)),
    headers: (values.header ?? []).map((h) => keyValue('--header', h)),
    tags: values.tag ?? [],
  };
  if (command !== undefined) args.command = command;
  if (values.url !== undefined) args.url = values.url;
  if (values['from-catalog'] !== undefined) args.fromCatalog = values['from-catalog'];
  if (values.transport !== undefined) args.transport = values.transport;
  if (values.replicas !== undefined) args.replicas = parseCount('--replicas', values.replicas);
  if (values.description !== undefined) args.description = values.description;
  if (values.cwd !== undefined) args.cwd = values.cwd;
  if (values.prefix !== undefined) args.prefix = values.prefix;
  if (values.config !== undefined) args.configFile = values.config;
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const addCommand = defineCommand({
  name: 'add',
  usage: 'add NAME [--from-catalog ENTRY | --url URL | -- COMMAND ARGS…] [--env K=V]… [--tag T]… [--replicas N] [--json]',
  summary: 'add a server to the config file (comments and layout kept) and reload the running manager',
  help: [
    ['-- COMMAND ARGS…', 'a stdio server: the command line after --'],
    ['--url URL', 'a remote server (http by default; --transport sse|websocket|tcp)'],
    [
      '--from-catalog ENTRY',
      'an entry of the bundled catalog (see "mcp-manager catalog"); its variables from --env VAR=VALUE or asked for',
    ],
    ['-e, --env K=V', 'an environment variable of the server (secret-looking values go to the env file); repeatable'],
    ['--header K=V', 'an HTTP header of a remote server; repeatable'],
    ['--tag T', 'a tag; repeatable'],
    ['--replicas N', 'run N instances'],
    ['--description TEXT', 'a description'],
    ['--cwd DIR', 'working directory of the server'],
    ['--prefix P', 'public name prefix of its tools (default: the server name)'],
    ['--disabled', 'add it with enabled: false'],
    ['--json', 'print one JSON document: {action, server, file, envFile, secrets, reload}'],
    CONFIG_HELP,
    STATE_DIR_HELP,
  ],
  options: ADD_OPTIONS,
  parse: parseAddArgs,
  run: async (args, ctx) => {
    const target = await resolveEditTarget(args, ctx);
    const catalogValues: { entry?: ServerEntryData; values?: Record<string, string> } =
      args.fromCatalog === undefined ? {} : await catalogVariables(args, ctx);
    let secrets: string[] = [];
    const result = await applyConfigEdit(ctx, target, (config) => {
      const taken = envFileValues(target.file, config);
      const built = buildEntry(args, catalogValues.entry);
      const extracted = extractSecrets(args.name, built, taken);
      const values = { ...extracted.values };
      for (const [variable, value] of Object.entries(catalogValues.values ?? {})) values[variable] = value;
      secrets = Object.keys(values);
      return { text: addServer(config, args.name, extracted.entry), secrets: values };
    });
    const report: EditReport = { action: 'added', server: args.name, secrets, ...result };
    if (args.json) ctx.print.json(report);
    else ctx.print.configEdit(report);
    await showEditProgress(ctx, target.socketPath, result, args.json);
    return report.reload.status === 'rejected' ? 1 : 0;
  },
});

/** The entry the flags describe (a catalog entry underneath, when given). */
function buildEntry(args: AddArgs, base: ServerEntryData | undefined): ServerEntryData {
  const entry: ServerEntryData = { ...(base ?? {}) };
  if (args.description !== undefined) entry.description = args.description;
  if (args.command !== undefined) {
    entry.command = args.command[0];
    if (args.command.length > 1) entry.args = args.command.slice(1);
  }
  if (args.url !== undefined) {
    entry.url = args.url;
    entry.connection_type = args.transport ?? 'http';
  } else if (args.transport !== undefined) {
    entry.connection_type = args.transport;
  }
  const env = { ...((entry.env as Record<string, unknown> | undefined) ?? {}) };
  const needed = new Set(placeholdersIn(base ?? {}).required);
  for (const [key, value] of args.env) if (!needed.has(key)) env[key] = value;
  if (Object.keys(env).length > 0) entry.env = env;
  if (args.headers.length > 0) entry.headers = { ...(entry.headers ?? {}), ...Object.fromEntries(args.headers) };
  if (args.tags.length > 0) entry.tags = [...new Set([...((entry.tags as string[] | undefined) ?? []), ...args.tags])];
  if (args.replicas !== undefined) entry.replicas = args.replicas;
  if (args.cwd !== undefined) entry.cwd = args.cwd;
  if (args.prefix !== undefined) entry.prefix = args.prefix;
  if (args.disabled) entry.enabled = false;
  return entry;
}

/**
 * A catalog entry and the values of the variables it needs: from `--env VAR=VALUE`, else
 * the environment (left as a reference), else asked for on a terminal.
 */
async function catalogVariables(args: AddArgs, ctx: CliContext): Promise<{ entry: ServerEntryData; values: Record<string, string> }> {
  const catalog = readCatalog(catalogFileOf(packageRoot()));
  const found = catalog.find((e) => e.name === args.fromCatalog);
  if (!found) {
    throw new ManagerError(
      'USAGE',
      `no catalog entry named "${args.fromCatalog}" (see "mcp-manager catalog"; entries: ${catalog.map((e) => e.name).join(', ')})`,
    );
  }
  const given = new Map(args.env);
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const variable of found.needs.env) {
    const value = given.get(variable);
    if (value !== undefined) values[variable] = value;
    else if (ctx.env[variable] === undefined || ctx.env[variable] === '') missing.push(variable);
  }
  if (missing.length > 0) {
    const ask = ctx.prompt ?? terminalPrompt();
    if (!ask) {
      throw new ManagerError(
        'USAGE',
        `catalog entry "${found.name}" needs values (give each with --env NAME=VALUE, or set it in the environment) for ${missing.join(', ')}`,
      );
    }
    for (const variable of missing) {
      const value = await ask(`${variable} for ${found.name}: `);
      if (value === '') throw new ManagerError('USAGE', `no value given for ${variable}`);
      values[variable] = value;
    }
  }
  return { entry: entryFromCatalog(found), values };
}

function terminalPrompt(): ((question: string) => Promise<string>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return (await rl.question(question)).trim();
    } finally {
      rl.close();
    }
  };
}

export interface RemoveArgs {
  name: string;
  configFile?: string;
  stateDir?: string;
  json: boolean;
}

const REMOVE_OPTIONS = { ...CONFIG_OPTION, json: { type: 'boolean' }, ...STATE_DIR_OPTION } as const;

export function parseRemoveArgs(argv: readonly string[]): RemoveArgs {
  const { values, positionals } = parseCommandArgs(argv, REMOVE_OPTIONS, ['NAME']);
  const args: RemoveArgs = { name: positionals[0]!, json: values.json ?? false };
  if (values.config !== undefined) args.configFile = values.config;
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const removeCommand = defineCommand({
  name: 'remove',
  usage: 'remove NAME [--config FILE] [--json]',
  summary: 'remove a server from the config file (the rest kept byte for byte) and reload the running manager',
  help: [['--json', 'print one JSON document: {action, server, file, envFile, secrets, reload}'], CONFIG_HELP, STATE_DIR_HELP],
  options: REMOVE_OPTIONS,
  parse: parseRemoveArgs,
  run: async (args, ctx) => {
    const target = await resolveEditTarget(args, ctx);
    const result = await applyConfigEdit(ctx, target, (config) => ({ text: removeServer(config, args.name) }));
    const report: EditReport = { action: 'removed', server: args.name, secrets: [], ...result };
    if (args.json) ctx.print.json(report);
    else ctx.print.configEdit(report);
    return report.reload.status === 'rejected' ? 1 : 0;
  },
});
