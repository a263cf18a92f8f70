/**
 * VS Code's MCP config: `.vscode/mcp.json` of a workspace and the user `mcp.json`
 * (`{"servers": {...}, "inputs": [...]}`), read by the config loader, plus what VS Code adds:
 * - `type` (`stdio`, `http`, `sse`) is the connection type;
 * - `${workspaceFolder}`, `${workspaceFolderBasename}`, `${userHome}`, `${pathSeparator}` expand
 *   like VS Code does (unless the environment sets them); `${env:VAR}` is `${VAR}`;
 * - `${input:id}` cannot be resolved outside VS Code (it prompts the user): reported as an
 *   issue of that server, never passed through as text;
 * - `envFile` is read (relative paths against the workspace folder); its variables come
 *   before `env`, which wins. A missing or unreadable env file, or one that is the config
 *   file itself, is an issue of that server; bad lines in it are warnings;
 * - a workspace server without `cwd` runs in the workspace folder (as in VS Code);
 * - `dev` (VS Code's watch/debug mode) is ignored with a warning.
 */
import path from 'node:path';
import { interpolate } from '../../config/interpolate.js';
import { formatPath } from '../../config/path.js';
import type { ConfigIssue } from '../../errors.js';
import { parseEnvFile } from '../env-file.js';
import { readWithLoader, type LoadedEntry, type Located } from '../from-loader.js';
import { classifyFile, projectDirOf } from '../sources.js';
import type { FormatModule, ReadContext } from '../types.js';
import { emptyResult, finish } from './common.js';

const VSCODE_USER_DIRS = /(^|[\\/])(Code|Code - Insiders|VSCodium|Code - OSS)[\\/]User$/;

export const vscodeFormat: FormatModule = {
  format: 'vscode',
  detect: (file) =>
    path.basename(file) === 'mcp.json' && (path.basename(path.dirname(file)) === '.vscode' || VSCODE_USER_DIRS.test(path.dirname(file))),
  async read(file, text, context) {
    const kind = classifyFile(file, context.home) === 'vscode-user' ? 'vscode-user' : 'vscode-workspace';
    const workspace = kind === 'vscode-workspace' ? projectDirOf(file) : undefined;
    const env = withVsCodeVariables(context.env, workspace, context.home);
    const read = readWithLoader(file, text, { env, extract: ['envFile', 'dev'] });
    const result = emptyResult();
    result.issues.push(...read.issues);
    result.warnings.push(...read.warnings);
    for (const entry of read.entries) {
      const dev = entry.extracted.get('dev');
      if (dev)
        result.warnings.push(
          at(file, entry, 'dev', dev, 'ignored key "dev" (VS Code development mode: watch and debug are not supported here)'),
        );
      const envFile = entry.extracted.get('envFile');
      if (envFile) {
        const loaded = await loadEnvFile(file, entry, envFile, env, workspace ?? path.dirname(file), context);
        result.warnings.push(...loaded.warnings);
        if (!loaded.ok) {
          result.issues.push(loaded.issue);
          continue;
        }
        entry.config = { ...entry.config, env: { ...loaded.vars, ...entry.config.env } };
      }
      if (workspace !== undefined && entry.config.connectionType === 'stdio' && !('cwd' in entry.raw)) {
        entry.config = { ...entry.config, cwd: workspace };
      }
      result.servers.push(await finish(entry, file, 'vscode', kind, context));
    }
    result.issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    return result;
  },
};

function withVsCodeVariables(env: NodeJS.ProcessEnv, workspace: string | undefined, home: string): NodeJS.ProcessEnv {
  const vars: Record<string, string> = { userHome: home, pathSeparator: path.sep };
  if (workspace !== undefined) Object.assign(vars, { workspaceFolder: workspace, workspaceFolderBasename: path.basename(workspace) });
  return { ...vars, ...env };
}

function at(file: string, entry: LoadedEntry, key: string, where: Located<unknown>, message: string): ConfigIssue {
  return {
    file,
    path: formatPath(['servers', entry.name, key]),
    ...(where.line === undefined ? {} : { line: where.line, column: where.column ?? 1 }),
    message,
  };
}

type EnvFileLoad =
  { ok: true; vars: Record<string, string>; warnings: ConfigIssue[] } | { ok: false; issue: ConfigIssue; warnings: ConfigIssue[] };

async function loadEnvFile(
  file: string,
  entry: LoadedEntry,
  envFile: Located<unknown>,
  env: NodeJS.ProcessEnv,
  baseDir: string,
  context: ReadContext,
): Promise<EnvFileLoad> {
  const fail = (message: string): EnvFileLoad => ({ ok: false, issue: at(file, entry, 'envFile', envFile, message), warnings: [] });
  if (typeof envFile.value !== 'string' || envFile.value === '') return fail('expected the path of an env file');
  const expanded = interpolate(envFile.value, env);
  const problem = expanded.problems[0];
  if (problem) return fail(problem.message);
  const target = path.resolve(baseDir, String(expanded.value));
  const self = `envFile ${JSON.stringify(envFile.value)} is this config file itself (${file}); expected a separate .env file`;
  if (target === path.resolve(file)) return fail(self);
  const read = await context.readText(target);
  if (!read.ok) return fail(`envFile ${JSON.stringify(envFile.value)} (${target}): ${read.issue.message}`);
  if (context.realPath !== undefined && read.realPath === context.realPath) return fail(self);
  const parsed = parseEnvFile(read.text, target);
  const warnings = parsed.issues.map((issue) => ({
    ...issue,
    message: `${issue.message}; line skipped (envFile of server "${entry.name}")`,
  }));
  return { ok: true, vars: parsed.vars, warnings };
}
