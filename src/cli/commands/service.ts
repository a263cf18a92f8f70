import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../../errors.js';
import {
  isOurs,
  planInstall,
  planUninstall,
  readReceipt,
  receiptFileOf,
  removeQuietly,
  runCommand,
  writeReceipt,
  writeServiceFile,
  type ServicePlan,
} from '../../service/install.js';
import type { ServiceSpec } from '../../service/units.js';
import { ensureStateDir, resolveStateDir } from '../../state/paths.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, usageError } from '../args.js';
import { loadReadConfig, type CliContext } from '../context.js';
import { resolveConfigFile } from '../package-info.js';

export interface ServiceArgs {
  action: 'install' | 'uninstall';
  user: boolean;
  dryRun: boolean;
  configFile?: string;
  stateDir?: string;
}

const SERVICE_OPTIONS = {
  user: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  ...STATE_DIR_OPTION,
} as const;

export function parseServiceArgs(argv: readonly string[]): ServiceArgs {
  const { values, positionals } = parseCommandArgs(argv, SERVICE_OPTIONS, ['ACTION']);
  const action = positionals[0];
  if (action !== 'install' && action !== 'uninstall') throw usageError(`expected "install" or "uninstall", got '${action}'`);
  if (action === 'uninstall' && values.config !== undefined) throw usageError('--config applies to "service install" only');
  const args: ServiceArgs = { action, user: values.user ?? false, dryRun: values['dry-run'] ?? false };
  if (values.config !== undefined) args.configFile = values.config;
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const serviceCommand = defineCommand({
  name: 'service',
  usage: 'service install|uninstall [--user] [--dry-run] [--config FILE] [--state-dir DIR]',
  summary: 'run the manager as a systemd service (Linux) or launchd agent (macOS)',
  help: [
    ['--user', 'a user service (~/.config/systemd/user) instead of a system one (/etc/systemd/system)'],
    ['--dry-run', 'print the file and the commands; write and run nothing'],
    ['-c, --config FILE', 'config the service runs (default: as for start), recorded as an absolute path'],
    STATE_DIR_HELP,
  ],
  options: SERVICE_OPTIONS,
  parse: parseServiceArgs,
  run: (args, ctx) => (args.action === 'install' ? install(args, ctx) : uninstall(args, ctx)),
});

/** `kill` for ExecReload: systemd wants an absolute path. */
function killCommand(): string {
  return ['/bin/kill', '/usr/bin/kill'].find((p) => existsSync(p)) ?? '/bin/kill';
}

function printCommands(ctx: CliContext, title: string, commands: readonly string[][]): void {
  if (commands.length === 0) return;
  ctx.print.line(title);
  for (const command of commands) ctx.print.line(`  ${command.join(' ')}`);
}

async function install(args: ServiceArgs, ctx: CliContext): Promise<number> {
  const configFile = resolveConfigFile(args.configFile, ctx.env, ctx.cwd);
  const stateDir = resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd });
  // the service must be able to start: a config that does not load is refused now
  const result = await (await loadReadConfig(ctx))(configFile, { env: ctx.env });
  if (!result.ok) throw new ConfigError(result.issues);

  const spec: ServiceSpec = {
    command: [ctx.self.command, ...ctx.self.args, 'start', '--config', configFile],
    stateDir,
    path: ctx.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    workingDirectory: dirname(configFile),
    shutdownTimeoutMs: result.config.manager.shutdownTimeoutMs,
    user: args.user,
    killCommand: killCommand(),
  };
  const plan = planInstall(spec, {
    platform: process.platform,
    user: args.user,
    env: ctx.env,
    ...(ctx.env.HOME ? { home: ctx.env.HOME } : {}),
    ...(ctx.systemdRunning === undefined ? {} : { systemdRunning: ctx.systemdRunning }),
  });
  if (args.dryRun) {
    ctx.print.line(`# ${plan.file}`);
    ctx.print.line(plan.content.trimEnd());
    printCommands(ctx, plan.canRun ? '# then:' : '# then (not run: systemd is not running here):', plan.commands);
    return 0;
  }

  writeServiceFile(plan);
  ensureStateDir(stateDir);
  const ran = plan.canRun ? runAll(plan) : false;
  await writeReceipt(stateDir, {
    version: 1,
    platform: plan.platform,
    file: plan.file,
    user: args.user,
    enabled: ran,
    installedAt: new Date().toISOString(),
  });
  ctx.print.line(`wrote ${plan.file}`);
  if (ran) ctx.print.line(`mcp-manager service installed and started (${plan.commands.map((c) => c.join(' ')).join('; ')})`);
  else printCommands(ctx, 'systemd is not running here; to enable and start the service, run:', plan.commands);
  return 0;
}

function runAll(plan: ServicePlan): boolean {
  for (const command of plan.commands) runCommand(command);
  return true;
}

async function uninstall(args: ServiceArgs, ctx: CliContext): Promise<number> {
  const stateDir = resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd });
  const receipt = await readReceipt(stateDir);
  if (!receipt) {
    ctx.print.error(`no service was installed with state dir ${stateDir} (${receiptFileOf(stateDir)} is missing); nothing to undo`);
    return 1;
  }
  const plan = planUninstall(receipt, ctx.systemdRunning === undefined ? {} : { systemdRunning: ctx.systemdRunning });
  const disable = receipt.enabled && plan.canRun;
  if (args.dryRun) {
    if (disable) printCommands(ctx, '# would run:', plan.commands);
    ctx.print.line(`# would remove ${plan.file}`);
    if (disable) printCommands(ctx, '# then:', plan.after);
    return 0;
  }
  if (disable) runAll(plan);
  if (existsSync(plan.file) && !isOurs(plan.file)) {
    ctx.print.error(`${plan.file} was changed since install (it no longer says it was written by mcp-manager); left in place`);
    return 1;
  }
  removeQuietly(plan.file);
  if (disable) for (const command of plan.after) runCommand(command);
  removeQuietly(receiptFileOf(stateDir));
  ctx.print.line(`removed ${plan.file}`);
  if (!disable && receipt.platform === 'systemd') {
    printCommands(ctx, 'if you enabled it by hand, also run:', [...plan.commands, ...plan.after]);
  }
  return 0;
}
