/**
 * `discover`: list the MCP servers declared in the config files of this project and of the
 * user's MCP clients. `doctor`: check a config and its servers the way the manager would
 * run them. Both read files (and, for doctor, spawn servers) locally; `discover` asks a
 * running manager only which servers it manages.
 */
import { createControlClient } from '../../control/client.js';
import type { ScanResult } from '../../discovery/scan.js';
import type { DoctorReport } from '../../discovery/doctor.js';
import type { DiscoverySource } from '../../discovery/types.js';
import { ManagerError, errorMessage } from '../../errors.js';
import { resolveStateDir, socketPathOf } from '../../state/paths.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs } from '../args.js';
import type { CliContext } from '../context.js';
import type { DiscoveryListing, DiscoverySourceJson, ManagerLookup } from '../reports.js';
import { resolveConfigFile } from '../package-info.js';

/** How long `discover` waits for a running manager's server list before calling MANAGED unknown. */
const MANAGED_TIMEOUT_MS = 3_000;

export interface DiscoverArgs {
  /** Its `manager.discovery.paths` are scanned too. */
  configFile?: string;
  paths: string[];
  json: boolean;
  stateDir?: string;
}

const DISCOVER_OPTIONS = {
  config: { type: 'string', short: 'c' },
  path: { type: 'string', short: 'p', multiple: true },
  json: { type: 'boolean' },
  ...STATE_DIR_OPTION,
} as const;

export function parseDiscoverArgs(argv: readonly string[]): DiscoverArgs {
  const { values } = parseCommandArgs(argv, DISCOVER_OPTIONS);
  const args: DiscoverArgs = { paths: values.path ?? [], json: values.json ?? false };
  if (values.config !== undefined) args.configFile = values.config;
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

function sourceJson(source: DiscoverySource): DiscoverySourceJson {
  return { file: source.file, line: source.line ?? null, column: source.column ?? null, format: source.format, kind: source.kind };
}

export function discoveryListing(result: ScanResult, managed: ReadonlySet<string> | null): DiscoveryListing {
  return {
    servers: result.servers.map(({ name, config, source, serverType }) => ({
      name,
      description: config.description ?? null,
      serverType,
      connectionType: config.connectionType,
      command: config.command ?? null,
      args: [...config.args],
      url: config.url ?? null,
      envKeys: Object.keys(config.env).sort(),
      enabled: config.enabled,
      source: sourceJson(source),
      managed: managed === null ? null : managed.has(name),
    })),
    shadowed: result.shadowed.map(({ server, by }) => ({ name: server.name, source: sourceJson(server.source), by: sourceJson(by) })),
    issues: result.issues,
    warnings: result.warnings,
    files: result.files,
  };
}

/** Exit 1 only when nothing could be read at all and something failed; otherwise 0 (issues are reported). */
export function discoveryFailed(listing: DiscoveryListing): boolean {
  return listing.issues.length > 0 && !listing.files.some((f) => f.status === 'read');
}

/** The servers the manager of `stateDir` manages; null when none runs or it does not answer. */
async function lookupManaged(stateDirFlag: string | undefined, ctx: CliContext): Promise<ManagerLookup> {
  const stateDir = resolveStateDir({ flag: stateDirFlag, env: ctx.env, cwd: ctx.cwd });
  try {
    const servers = await createControlClient(socketPathOf(stateDir), { timeoutMs: MANAGED_TIMEOUT_MS }).servers();
    return { stateDir, names: new Set(servers.map((s) => s.name)) };
  } catch (error) {
    if (!(ManagerError.is(error) && error.code === 'MANAGER_NOT_RUNNING')) {
      ctx.print.warning(`cannot tell which servers are managed: ${errorMessage(error)}`);
    }
    return { stateDir, names: null };
  }
}

export const discoverCommand = defineCommand({
  name: 'discover',
  usage: 'discover [--config FILE] [--path PATH]... [--json] [--state-dir DIR]',
  summary: 'find MCP servers in this project and in the configs of Claude, VS Code and Cursor',
  help: [
    [
      '-c, --config FILE',
      'also scan the folders its manager.discovery.paths names (default: $MCP_MANAGER_CONFIG, else the bundled config/default.yaml)',
    ],
    ['-p, --path PATH', 'also scan this file or directory (repeatable); the default places are always scanned'],
    ['--json', 'print one JSON document: {servers, shadowed, issues, warnings, files}'],
    STATE_DIR_HELP,
  ],
  options: DISCOVER_OPTIONS,
  parse: parseDiscoverArgs,
  run: async (args, ctx) => {
    // every run reads the files afresh: discovery keeps no cache
    const { discover } = await import('../../discovery/scan.js');
    const { homeOf } = await import('../../discovery/sources.js');
    const { configuredDiscoveryPaths } = await import('../../discovery/configured-paths.js');
    const configured = await configuredDiscoveryPaths(resolveConfigFile(args.configFile, ctx.env, ctx.cwd), ctx.env);
    const [result, manager] = await Promise.all([
      discover({ env: ctx.env, cwd: ctx.cwd, paths: [...args.paths, ...configured.paths] }),
      lookupManaged(args.stateDir, ctx),
    ]);
    result.issues.unshift(...configured.issues);
    const listing = discoveryListing(result, manager.names);
    if (args.json) ctx.print.json(listing);
    else ctx.print.discovery(listing, { home: homeOf(ctx.env), manager });
    if (!discoveryFailed(listing)) return 0;
    const n = listing.issues.length;
    ctx.print.error(new ManagerError('CONFIG_INVALID', `discover: no file could be read (${n === 1 ? '1 problem' : `${n} problems`})`));
    return 1;
  },
});

export interface DoctorArgs {
  configFile?: string;
  handshake: boolean;
  json: boolean;
}

const DOCTOR_OPTIONS = {
  config: { type: 'string', short: 'c' },
  'no-handshake': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export function parseDoctorArgs(argv: readonly string[]): DoctorArgs {
  const { values } = parseCommandArgs(argv, DOCTOR_OPTIONS);
  const args: DoctorArgs = { handshake: !(values['no-handshake'] ?? false), json: values.json ?? false };
  if (values.config !== undefined) args.configFile = values.config;
  return args;
}

/** The `doctor --json` document: the report plus what was checked and how. */
export interface DoctorJson extends DoctorReport {
  file: string;
  handshake: boolean;
}

export const doctorCommand = defineCommand({
  name: 'doctor',
  usage: 'doctor [--config FILE] [--no-handshake] [--json]',
  summary: 'check a config and its servers: commands, MCP handshake, protocol, stdout, tool schemas, names',
  help: [
    ['-c, --config FILE', 'config file (default: $MCP_MANAGER_CONFIG, else the bundled config/default.yaml)'],
    ['--no-handshake', 'only check that commands resolve; do not start the servers'],
    ['--json', 'print one JSON document: {file, handshake, ok, checks: [{server?, check, ok, detail, fix?, cause?}]}'],
  ],
  options: DOCTOR_OPTIONS,
  parse: parseDoctorArgs,
  run: async (args, ctx) => {
    const file = resolveConfigFile(args.configFile, ctx.env, ctx.cwd);
    const { runDoctor } = await import('../../discovery/doctor.js');
    const report = await runDoctor({ configFile: file, env: ctx.env, handshake: args.handshake });
    if (args.json) ctx.print.json({ file, handshake: args.handshake, ...report } satisfies DoctorJson);
    else ctx.print.doctor(report, { handshake: args.handshake });
    return report.ok ? 0 : 1;
  },
});
