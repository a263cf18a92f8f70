/**
 * One edit of the config file, as `add`, `remove` and `import` make it: change the text,
 * move secrets into the env file the config names, check the result as a whole config
 * (an invalid result is not written, and the env file is put back), write atomically, then
 * ask the running manager to reload — only when it runs this same file.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createControlClient } from '../control/client.js';
import { envFileOf, envFilePath } from '../config/env-file.js';
import { setManagerKey, type ConfigText } from '../config/edit.js';
import { appendEnvValues, envFileText, readEnvFile } from '../config/secrets.js';
import { checkConfigText, writeFileAtomic } from '../config/write.js';
import { ManagerError, errorMessage } from '../errors.js';
import { resolveStateDir, socketPathOf } from '../state/paths.js';
import { parse as parseYaml } from 'yaml';
import type { CliContext } from './context.js';
import type { EditResult, ReloadOutcome } from './reports.js';
import { resolveConfigFile } from './package-info.js';
import { followReload } from './start-progress.js';

export interface EditTarget {
  /** Config file to edit: the flag, else $MCP_MANAGER_CONFIG, else the running manager's, else the bundled one. */
  configFile?: string;
  stateDir?: string;
}

export interface EditChange {
  text: string;
  /** Values for the env file (variable → value); the config gets `manager.env_file` if it has none. */
  secrets?: Record<string, string>;
}

interface ManagerInfo {
  configFile: string;
}

/** The config file an edit goes to, and the manager (if any) running on the state dir. */
export async function resolveEditTarget(
  target: EditTarget,
  ctx: CliContext,
): Promise<{ file: string; manager: ManagerInfo | null; socketPath: string }> {
  const stateDir = resolveStateDir({ flag: target.stateDir, env: ctx.env, cwd: ctx.cwd });
  const socketPath = socketPathOf(stateDir);
  const manager = await createControlClient(socketPath)
    .status()
    .then((s) => ({ configFile: s.manager.configFile }))
    .catch(() => null);
  const file =
    target.configFile !== undefined || ctx.env.MCP_MANAGER_CONFIG !== undefined || manager === null
      ? resolveConfigFile(target.configFile, ctx.env, ctx.cwd)
      : manager.configFile;
  return { file: path.resolve(ctx.cwd, file), manager, socketPath };
}

export function readConfigText(file: string): ConfigText {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ManagerError('CONFIG_NOT_FOUND', `config file not found: ${file}`, { data: { file } });
    throw new ManagerError('CONFIG_INVALID', `cannot read config file ${file}: ${errorMessage(error)}`, { data: { file } });
  }
  return { text, isJson: /\.json$/i.test(file) };
}

/** The env file the config names, or the default one beside it (`<config name>.env`). */
export function envFileFor(file: string, text: string, isJson: boolean): { path: string; named: boolean; relative: string } {
  let document: unknown;
  try {
    document = isJson ? JSON.parse(text) : parseYaml(text);
  } catch {
    document = undefined;
  }
  const named = envFileOf(document);
  if (named !== undefined) return { path: envFilePath(file, named), named: true, relative: named };
  const relative = `${path.basename(file).replace(/\.(ya?ml|json)$/i, '')}.env`;
  return { path: path.join(path.dirname(file), relative), named: false, relative };
}

/** Variables already in the env file of this config (name → value). */
export function envFileValues(file: string, config: ConfigText): Map<string, string> {
  return readEnvFile(envFileFor(file, config.text, config.isJson).path);
}

export async function applyConfigEdit(
  ctx: CliContext,
  resolved: { file: string; manager: ManagerInfo | null; socketPath: string },
  change: (config: ConfigText) => EditChange,
): Promise<EditResult> {
  const { file } = resolved;
  const config = readConfigText(file);
  const next = change(config);
  let text = next.text;
  let envFile: string | null = null;
  let restoreEnv: (() => void) | undefined;

  const secrets = next.secrets ?? {};
  if (Object.keys(secrets).length > 0) {
    const target = envFileFor(file, text, config.isJson);
    envFile = target.path;
    if (!target.named) text = setManagerKey({ text, isJson: config.isJson }, 'env_file', target.relative);
    const before = envFileText(target.path);
    appendEnvValues(target.path, secrets);
    restoreEnv = () => {
      if (before === undefined) rmSync(target.path, { force: true });
      else writeFileAtomic(target.path, before, 0o600);
    };
  }

  try {
    checkConfigText(text, file, ctx.env);
  } catch (error) {
    restoreEnv?.();
    throw error;
  }
  // the config watch may apply the edit before our reload request arrives: asking for all
  // that was applied since the generation before the edit reports it either way
  const since = await configGeneration(resolved);
  writeFileAtomic(file, text);
  return { file, envFile, reload: await reloadManager(resolved, since) };
}

/** The running manager's config generation, when it runs this file (undefined otherwise, or when it does not say). */
async function configGeneration(resolved: { file: string; manager: ManagerInfo | null; socketPath: string }): Promise<number | undefined> {
  if (!resolved.manager || path.resolve(resolved.manager.configFile) !== resolved.file) return undefined;
  try {
    return (await createControlClient(resolved.socketPath).status()).manager.configGeneration;
  } catch {
    return undefined;
  }
}

async function reloadManager(
  resolved: { file: string; manager: ManagerInfo | null; socketPath: string },
  since: number | undefined,
): Promise<ReloadOutcome> {
  if (!resolved.manager) return { status: 'not-running', report: null };
  if (path.resolve(resolved.manager.configFile) !== resolved.file) {
    return { status: 'other-config', report: null, message: `the running manager uses ${resolved.manager.configFile}` };
  }
  try {
    const report = await createControlClient(resolved.socketPath).reload(since === undefined ? {} : { since });
    return { status: report.ok ? 'applied' : 'rejected', report };
  } catch (error) {
    return { status: 'failed', report: null, message: errorMessage(error) };
  }
}

/** On a terminal (not with --json): the servers an applied edit added or changed, coming up. */
export async function showEditProgress(ctx: CliContext, socketPath: string, result: Partial<EditResult>, json: boolean): Promise<void> {
  const report = result.reload?.status === 'applied' ? result.reload.report : null;
  if (!json && report?.ok) await followReload(ctx, socketPath, report);
}
