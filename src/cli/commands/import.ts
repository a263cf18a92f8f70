import { parse as parseYaml } from 'yaml';
import { serversKeyOf, type ConfigText } from '../../config/edit.js';
import { isRecord } from '../../config/path.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, usageError } from '../args.js';
import { applyConfigEdit, envFileValues, readConfigText, resolveEditTarget, showEditProgress } from '../config-edit.js';
import type { EditResult, ImportReport } from '../reports.js';
import { resolveStateDir, socketPathOf } from '../../state/paths.js';
import type { CliContext } from '../context.js';
import { importSources, planImport, readSources, type ImportPlan } from '../import-servers.js';

export interface ImportArgs {
  from?: string;
  names: string[];
  all: boolean;
  configFile?: string;
  stateDir?: string;
  json: boolean;
  dryRun: boolean;
}

const IMPORT_OPTIONS = {
  from: { type: 'string' },
  all: { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  ...STATE_DIR_OPTION,
} as const;

export function parseImportArgs(argv: readonly string[]): ImportArgs {
  const { values, positionals } = parseCommandArgs(
    argv,
    IMPORT_OPTIONS,
    Array.from({ length: Math.max(argv.length, 1) }, () => 'NAME?'),
  );
  const all = values.all ?? false;
  if (all && positionals.length > 0) throw usageError('give server names or --all, not both');
  if (!all && positionals.length === 0) throw usageError('name the servers to import, or pass --all (see "mcp-manager discover")');
  const args: ImportArgs = { names: positionals, all, json: values.json ?? false, dryRun: values['dry-run'] ?? false };
  if (values.from !== undefined) args.from = values.from;
  if (values.config !== undefined) args.configFile = values.config;
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

/** The servers of our config as written (name → entry). */
export function existingEntries(config: ConfigText): Map<string, Record<string, unknown>> {
  let value: unknown;
  try {
    value = config.isJson ? JSON.parse(config.text) : parseYaml(config.text);
  } catch {
    return new Map();
  }
  const servers = isRecord(value) ? value[serversKeyOf(value)] : undefined;
  return new Map(isRecord(servers) ? Object.entries(servers).filter((e): e is [string, Record<string, unknown>] => isRecord(e[1])) : []);
}

/** Import into the config; shared with `connect --move`. */
export async function importInto(args: ImportArgs, ctx: CliContext, found?: Parameters<typeof planImport>[2]): Promise<ImportReport> {
  const target = await resolveEditTarget(args, ctx);
  const read = found ? { found, skipped: [] } : readSources(importSources(args.from, ctx.env, ctx.cwd), ctx.cwd);
  let plan!: ImportPlan;
  const build = (config: ConfigText) => {
    plan = planImport(config, target.file, read.found, {
      ...(args.all ? {} : { names: args.names }),
      env: ctx.env,
      taken: envFileValues(target.file, config),
      existing: existingEntries(config),
    });
    plan.skipped.unshift(...read.skipped);
    return { text: plan.text, secrets: plan.values };
  };
  if (args.dryRun) {
    build(readConfigText(target.file));
    return {
      imported: plan.imported,
      skipped: plan.skipped,
      dropped: plan.dropped,
      secrets: plan.secrets,
      dryRun: true,
      file: target.file,
    };
  }
  let result: EditResult | undefined;
  build(readConfigText(target.file));
  if (plan.imported.length > 0) result = await applyConfigEdit(ctx, target, build);
  return {
    imported: plan.imported,
    skipped: plan.skipped,
    dropped: plan.dropped,
    secrets: plan.secrets,
    dryRun: false,
    file: target.file,
    ...(result ?? {}),
  };
}

export const importCommand = defineCommand({
  name: 'import',
  usage: 'import [--from claude-desktop|claude-code|vscode|cursor|FILE] [NAME…|--all] [--config FILE] [--dry-run] [--json]',
  summary: 'take servers other MCP clients declare into the config (renamed on a clash, secrets to the env file)',
  help: [
    ['--from SOURCE', "one client's config, or a JSON file in the mcpServers/servers form (default: every client and the project)"],
    ['--all', 'every server found (else the NAMEs given)'],
    ['--dry-run', 'show what would be imported, write nothing'],
    ['--json', 'print one JSON document: {imported, skipped, dropped, secrets, file, envFile, reload, dryRun}'],
    ['-c, --config FILE', "config file to edit (default: $MCP_MANAGER_CONFIG, else the running manager's, else the bundled one)"],
    STATE_DIR_HELP,
  ],
  options: IMPORT_OPTIONS,
  parse: parseImportArgs,
  run: async (args, ctx) => {
    const report = await importInto(args, ctx);
    if (args.json) ctx.print.json(report);
    else ctx.print.importReport(report);
    await showEditProgress(ctx, socketPathOf(resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd })), report, args.json);
    return report.imported.length === 0 && report.skipped.length > 0 ? 1 : report.reload?.status === 'rejected' ? 1 : 0;
  },
});
