/**
 * Secret-looking values out of the config: an env value that looks like a token or key is
 * replaced by a `${VAR}` reference and its value goes to the env file the config names
 * (`manager.env_file`, mode 0600).
 */
import { chmodSync, readFileSync } from 'node:fs';
import { ManagerError } from '../errors.js';
import { isSecretName, redact } from '../redact.js';
import { parseEnvText } from './env-file.js';
import { isRecord } from './path.js';
import { writeFileAtomic } from './write.js';

/** Whether an env entry holds a secret worth keeping out of the config file. */
export function looksSecret(key: string, value: string): boolean {
  if (value === '' || value.includes('${')) return false;
  // the name says so, or the value is credential-shaped (the one redaction function would hide it)
  return isSecretName(key) || redact(value) !== value;
}

/** `KEY` upper-cased to an env-var name: `my-server` → `MY_SERVER`. */
export function envVarName(text: string): string {
  const name = text
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '_')
    .replace(/^(\d)/, '_$1');
  return name === '' ? 'VALUE' : name;
}

export interface SecretMove {
  server: string;
  key: string;
  variable: string;
}

/**
 * Replace the secret-looking values of `entry.env` by `${VAR}` references. `taken` holds the
 * variables already in use (name → value); a name taken by another value gets the server
 * name in front. Returns the new entry, the values to store and what moved.
 */
export function extractSecrets(
  server: string,
  entry: Record<string, unknown>,
  taken: Map<string, string>,
): { entry: Record<string, unknown>; values: Record<string, string>; moved: SecretMove[] } {
  const env = entry.env;
  if (!isRecord(env)) return { entry, values: {}, moved: [] };
  const values: Record<string, string> = {};
  const moved: SecretMove[] = [];
  const nextEnv: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (typeof value !== 'string' || !looksSecret(key, value)) {
      nextEnv[key] = value;
      continue;
    }
    const variable = freeName(envVarName(key), value, envVarName(server), taken);
    taken.set(variable, value);
    values[variable] = value;
    nextEnv[key] = `\${${variable}}`;
    moved.push({ server, key, variable });
  }
  return { entry: { ...entry, env: nextEnv }, values, moved };
}

function freeName(base: string, value: string, prefix: string, taken: Map<string, string>): string {
  const candidates = [base, `${prefix}_${base}`];
  for (let i = 2; i < 100; i += 1) candidates.push(`${prefix}_${base}_${i}`);
  return candidates.find((name) => !taken.has(name) || taken.get(name) === value) ?? `${prefix}_${base}_${Date.now()}`;
}

/** The variables of an env file (empty when the file does not exist). */
export function readEnvFile(file: string): Map<string, string> {
  try {
    return new Map(Object.entries(parseEnvText(readFileSync(file, 'utf8'))));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
}

/** Text of the env file, if it exists (to put it back after a rejected edit). */
export function envFileText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Append `values` (new names only) to the env file, created 0600; existing lines are kept. */
export function appendEnvValues(file: string, values: Record<string, string>): void {
  const existing = envFileText(file) ?? '';
  const known = readEnvFile(file);
  const lines = Object.entries(values)
    .filter(([name]) => !known.has(name))
    .map(([name, value]) => `${name}=${quoteEnvValue(name, value)}`);
  if (lines.length === 0 && existing !== '') return;
  const sep = existing === '' || existing.endsWith('\n') ? '' : '\n';
  const head = existing === '' ? '# Secrets for the mcp-manager config beside this file (keep this file private: mode 0600).\n' : '';
  writeFileAtomic(file, `${head}${existing}${sep}${lines.map((l) => `${l}\n`).join('')}`, 0o600);
  chmodSync(file, 0o600);
}

function quoteEnvValue(name: string, value: string): string {
  if (/^[\w./:@+,=-]*$/.test(value)) return value;
  if (!value.includes("'") && !value.includes('\n')) return `'${value}'`;
  if (!value.includes('"') && !value.includes('\n')) return `"${value}"`;
  throw new ManagerError(
    'USAGE',
    `the value of ${name} holds quotes or a line break, which an env file cannot carry; set it in the environment instead`,
  );
}
