import { ConfigError, ManagerError, formatConfigIssue, type ConfigIssue } from '../../errors.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs } from '../args.js';
import { loadReadConfig } from '../context.js';
import { resolveConfigFile } from '../package-info.js';
import { clientFor } from './servers.js';
import { followReload } from '../start-progress.js';
import { resolveStateDir, socketPathOf } from '../../state/paths.js';

export interface ValidateArgs {
  configFile?: string;
  json: boolean;
}

const VALIDATE_OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
} as const;

export function parseValidateArgs(argv: readonly string[]): ValidateArgs {
  const { values } = parseCommandArgs(argv, VALIDATE_OPTIONS);
  const args: ValidateArgs = { json: values.json ?? false };
  if (values.config !== undefined) args.configFile = values.config;
  return args;
}

export const validateCommand = defineCommand({
  name: 'validate',
  usage: 'validate [--config FILE] [--json]',
  summary: 'check a config file and report every problem at once',
  help: [
    ['-c, --config FILE', 'config file (default: $MCP_MANAGER_CONFIG, else the bundled config/default.yaml)'],
    ['--json', 'print one JSON document: {file, ok, issues, warnings}'],
  ],
  options: VALIDATE_OPTIONS,
  parse: parseValidateArgs,
  run: async (args, ctx) => {
    const file = resolveConfigFile(args.configFile, ctx.env, ctx.cwd);
    const readConfig = await loadReadConfig(ctx);

    let issues: readonly ConfigIssue[];
    let warnings: readonly ConfigIssue[] = [];
    let servers = 0;
    try {
      const result = await readConfig(file, { env: ctx.env });
      if (result.ok) {
        warnings = result.warnings;
        servers = result.config.servers.length;
        issues = [];
      } else {
        issues = result.issues;
      }
    } catch (error) {
      // A config that cannot be read at all is a finding too, not a crash.
      if (error instanceof ConfigError) issues = error.issues;
      else if (ManagerError.is(error) && error.code.startsWith('CONFIG_')) issues = [{ file, path: '', message: error.message }];
      else throw error;
    }

    const ok = issues.length === 0;
    if (args.json) {
      ctx.print.json({ file, ok, issues, warnings });
      return ok ? 0 : 1;
    }
    for (const warning of warnings) ctx.print.warning(formatConfigIssue(warning));
    if (!ok) {
      ctx.print.configIssues(issues);
      return 1;
    }
    ctx.print.line(`${file}: OK (${servers} ${servers === 1 ? 'server' : 'servers'})`);
    return 0;
  },
});

export interface ReloadArgs {
  stateDir?: string;
}

const RELOAD_OPTIONS = { ...STATE_DIR_OPTION } as const;

export function parseReloadArgs(argv: readonly string[]): ReloadArgs {
  const { values } = parseCommandArgs(argv, RELOAD_OPTIONS);
  return values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] };
}

export const reloadCommand = defineCommand({
  name: 'reload',
  usage: 'reload [--state-dir DIR]',
  summary: 're-read the config in the running manager and apply the changes',
  help: [STATE_DIR_HELP],
  options: RELOAD_OPTIONS,
  parse: parseReloadArgs,
  run: async (args, ctx) => {
    const report = await clientFor(args.stateDir, ctx).reload();
    ctx.print.reload(report);
    if (report.ok) await followReload(ctx, socketPathOf(resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd })), report);
    return report.ok ? 0 : 1;
  },
});
