import { createControlClient } from '../../control/client.js';
import { CLIENTS, isClient, type Client } from '../../discovery/clients.js';
import { ManagerError } from '../../errors.js';
import { resolveStateDir } from '../../state/paths.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, usageError } from '../args.js';
import { resolveEditTarget, showEditProgress } from '../config-edit.js';
import {
  clientEntry,
  connectTarget,
  serversToReplace,
  undoConnection,
  writeConnection,
  type ConnectTransport,
  type Endpoint,
} from '../connect-client.js';
import { loadReadConfig, type CliContext } from '../context.js';
import type { ConnectReport, DisconnectReport, ImportReport } from '../reports.js';
import { importInto } from './import.js';

export interface ConnectArgs {
  client: Client;
  transport: ConnectTransport;
  move: boolean;
  project: boolean;
  configFile?: string;
  stateDir?: string;
  json: boolean;
}

const CONNECT_OPTIONS = {
  stdio: { type: 'boolean' },
  http: { type: 'boolean' },
  move: { type: 'boolean' },
  project: { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  ...STATE_DIR_OPTION,
} as const;

function parseClient(value: string | undefined): Client {
  if (value === undefined || !isClient(value)) throw usageError(`unknown client '${value}' (expected ${CLIENTS.join(', ')})`);
  return value;
}

export function parseConnectArgs(argv: readonly string[]): ConnectArgs {
  const { values, positionals } = parseCommandArgs(argv, CONNECT_OPTIONS, ['CLIENT']);
  if (values.stdio && values.http) throw usageError('give --stdio or --http, not both');
  const args: ConnectArgs = {
    client: parseClient(positionals[0]),
    transport: values.http ? 'http' : 'stdio',
    move: values.move ?? false,
    project: values.project ?? false,
    json: values.json ?? false,
  };
  if (args.transport === 'http') clientEntry(args.client, { transport: 'http', url: '' }); // a client without HTTP is a usage error
  if (values.config !== undefined) args.configFile = values.config;
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

/** How the client reaches the manager: the command it runs, or the gateway's URL. */
async function endpointFor(
  args: ConnectArgs,
  config: string,
  manager: { configFile: string } | null,
  ctx: CliContext,
  socketPath: string,
): Promise<Endpoint> {
  if (args.transport === 'stdio') {
    const state = args.stateDir === undefined ? [] : ['--state-dir', resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd })];
    return { transport: 'stdio', command: ctx.self.command, args: [...ctx.self.args, 'start', '--stdio', '--config', config, ...state] };
  }
  if (manager && manager.configFile === config) {
    const url = (await createControlClient(socketPath).status()).manager.http?.url;
    if (url) return { transport: 'http', url };
  }
  const result = await (await loadReadConfig(ctx))(config, { env: ctx.env });
  const http = result.ok ? result.config.manager.http : undefined;
  if (!http) {
    throw new ManagerError(
      'USAGE',
      `${config} sets no manager.http, so there is no gateway URL to give the client; set one (e.g. http: 127.0.0.1:3939) or use --stdio`,
    );
  }
  const host = http.host.includes(':') ? `[${http.host}]` : http.host;
  return { transport: 'http', url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${http.port}/mcp` };
}

export const connectCommand = defineCommand({
  name: 'connect',
  usage: `connect ${CLIENTS.join('|')} [--stdio|--http] [--move] [--project] [--config FILE] [--json]`,
  summary: "make mcp-manager the client's one MCP server (a backup of its file is kept; disconnect restores it)",
  help: [
    ['--stdio', 'the client runs "mcp-manager start --stdio --config FILE" (the default)'],
    ['--http', "the client connects to the gateway's URL (the running manager's, else the config's manager.http)"],
    ['--move', "first take the client's servers into our config (as import does), so none runs twice"],
    ['--project', "claude-code: this project's .mcp.json (default: ~/.claude.json)"],
    [
      '-c, --config FILE',
      "config the client is pointed at, and --move imports into (default: $MCP_MANAGER_CONFIG, else the running manager's, else the bundled one)",
    ],
    ['--json', 'print one JSON document: {client, file, transport, entry, backup, replaced, moved, config}'],
    STATE_DIR_HELP,
  ],
  options: CONNECT_OPTIONS,
  parse: parseConnectArgs,
  run: async (args, ctx) => {
    const target = await resolveEditTarget(args, ctx);
    const { file, key } = connectTarget(args.client, {
      env: ctx.env,
      cwd: ctx.cwd,
      platform: ctx.platform ?? process.platform,
      project: args.project,
    });
    const endpoint = await endpointFor(args, target.file, target.manager, ctx, target.socketPath);
    const stateDir = resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd });
    const others = serversToReplace({ client: args.client, file, key, stateDir, project: args.project });

    let moved: ImportReport | null = null;
    if (args.move && others.length > 0) {
      const importArgs = {
        names: [],
        all: true,
        json: args.json,
        dryRun: false,
        configFile: target.file,
        ...(args.stateDir === undefined ? {} : { stateDir: args.stateDir }),
      };
      moved = await importInto(importArgs, ctx, others);
      if (moved.reload?.status === 'rejected') {
        throw new ManagerError(
          'CONFIG_INVALID',
          `the running manager rejected the config with the moved servers; ${args.client}'s file was left as it was`,
        );
      }
    }
    const outcome = writeConnection(
      { client: args.client, file, key, stateDir, project: args.project, endpoint },
      moved?.imported.map((i) => i.name) ?? [],
    );
    const report: ConnectReport = { client: args.client, transport: endpoint.transport, moved, config: target.file, ...outcome };
    if (args.json) ctx.print.json(report);
    else ctx.print.connectReport(report);
    if (moved) await showEditProgress(ctx, target.socketPath, moved, args.json);
    return 0;
  },
});

export interface DisconnectArgs {
  client: Client;
  project: boolean;
  stateDir?: string;
  json: boolean;
}

const DISCONNECT_OPTIONS = { project: { type: 'boolean' }, json: { type: 'boolean' }, ...STATE_DIR_OPTION } as const;

export function parseDisconnectArgs(argv: readonly string[]): DisconnectArgs {
  const { values, positionals } = parseCommandArgs(argv, DISCONNECT_OPTIONS, ['CLIENT']);
  const args: DisconnectArgs = { client: parseClient(positionals[0]), project: values.project ?? false, json: values.json ?? false };
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const disconnectCommand = defineCommand({
  name: 'disconnect',
  usage: `disconnect ${CLIENTS.join('|')} [--project] [--json]`,
  summary: "put the client's config file back as it was before connect",
  help: [
    ['--project', "claude-code: this project's .mcp.json"],
    ['--json', 'print one JSON document: {client, file, action, moved}'],
    STATE_DIR_HELP,
  ],
  options: DISCONNECT_OPTIONS,
  parse: parseDisconnectArgs,
  run: (args, ctx) => {
    const stateDir = resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd });
    const report: DisconnectReport = { client: args.client, ...undoConnection(stateDir, args.client, args.project) };
    if (args.json) ctx.print.json(report);
    else ctx.print.disconnectReport(report);
    return Promise.resolve(0);
  },
});
