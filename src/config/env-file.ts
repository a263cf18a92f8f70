/**
 * `manager.env_file`: a file of `KEY=value` lines beside the config, loaded before `${VAR}`
 * expansion. Variables already in the environment win over the file. The file holds
 * secrets, so it must not be readable by others (mode 0600); it is read with Node's own
 * dotenv parser (`util.parseEnv`).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { errorMessage, type ConfigIssue } from '../errors.js';
import { isRecord } from './path.js';

export interface EnvFileResult {
  /** The environment to expand `${VAR}` from: the file's values under `env`. */
  env: NodeJS.ProcessEnv;
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
  /** Absolute path of the env file, when the config names one. */
  file?: string;
}

/** The `manager.env_file` value of a parsed (not yet interpolated) config document. */
export function envFileOf(document: unknown): string | undefined {
  if (!isRecord(document) || !isRecord(document.manager)) return undefined;
  const value = document.manager.env_file;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Resolve `envFile` against the config's directory. */
export function envFilePath(configFile: string, envFile: string): string {
  return path.resolve(path.dirname(path.resolve(configFile)), envFile);
}

/** Parse `KEY=value` text (comments, quotes and `export` as dotenv writes them). */
export function parseEnvText(text: string): Record<string, string> {
  return parseEnv(text) as Record<string, string>;
}

/**
 * Load the env file the config names (if any) under `env`. A missing or unreadable file is
 * an issue at `manager.env_file`; a file others may read is a warning.
 */
export function withEnvFile(
  configFile: string,
  document: unknown,
  env: NodeJS.ProcessEnv,
  at: Omit<ConfigIssue, 'message'>,
): EnvFileResult {
  const name = envFileOf(document);
  if (name === undefined) return { env, issues: [], warnings: [] };
  const file = envFilePath(configFile, name);
  let text: string;
  let mode: number;
  try {
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    const message = missing ? `env file not found: ${file}` : `cannot read env file ${file}: ${errorMessage(error)}`;
    return { env, file, issues: [{ ...at, message }], warnings: [] };
  }
  const warnings: ConfigIssue[] = [];
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    warnings.push({
      ...at,
      message: `env file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
    });
  }
  return { env: { ...parseEnvText(text), ...env }, file, issues: [], warnings };
}
