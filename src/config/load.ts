/**
 * Config files → `Config`. Every problem is reported at once, each with file, dotted path
 * and line:column. Order of work: parse (YAML/JSON) → interpolate `${VAR}` → validate
 * (zod) → normalize (defaults, absolute paths).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, ManagerError, errorMessage, type ConfigIssue } from '../errors.js';
import { withEnvFile } from './env-file.js';
import { detectForm, validateForm, type Form } from './forms.js';
import { interpolate, type Unresolved } from './interpolate.js';
import { errorMap, fromZod } from './issues.js';
import { normalize } from './normalize.js';
import { formatPath, isRecord } from './path.js';
import { locate, parseSource, type Source } from './source.js';
import type { Config } from './types.js';

export type ConfigResult = { ok: true; config: Config; warnings: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

export interface LoadOptions {
  /** Variables for `${VAR}`; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Read and check a config file; never throws for problems in the file. */
export async function readConfig(file: string, options: LoadOptions = {}): Promise<ConfigResult> {
  const read = await readText(file);
  return 'text' in read ? parseConfigText(read.text, file, options) : { ok: false, issues: [read.issue] };
}

/** Like `readConfig`, but returns the Config or throws `ConfigError` (`CONFIG_NOT_FOUND` for a missing file). */
export async function loadConfig(file: string, options: LoadOptions & { onWarning?: (warning: ConfigIssue) => void } = {}): Promise<Config> {
  const read = await readText(file);
  if (!('text' in read)) {
    if (read.missing) throw new ManagerError('CONFIG_NOT_FOUND', `config file not found: ${read.issue.file}`, { data: { file: read.issue.file } });
    throw new ConfigError([read.issue]);
  }
  const result = parseConfigText(read.text, file, options);
  if (!result.ok) throw new ConfigError(result.issues);
  result.warnings.forEach((w) => options.onWarning?.(w));
  return result.config;
}

async function readText(file: string): Promise<{ text: string } | { issue: ConfigIssue; missing: boolean }> {
  const absolute = path.resolve(file);
  try {
    return { text: await readFile(absolute, 'utf8') };
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    const message = missing ? 'file not found' : `cannot read file: ${errorMessage(error)}`;
    return { missing, issue: { file: absolute, path: '', message } };
  }
}

/** Check config text as if it were the file `file` (its extension picks JSON or YAML; relative paths resolve against its directory). */
export function parseConfigText(text: string, file: string, options: LoadOptions = {}): ConfigResult {
  const absolute = path.resolve(file);
  const parsed = parseSource(text, absolute);
  if (!parsed.ok) return parsed;
  const { source } = parsed;
  const form = detectForm(parsed.value, source.isJson);
  const warnings = [...parsed.warnings, ...ignoredKeyWarnings(source, form)];
  const raw = Object.fromEntries(Object.entries(parsed.value).filter(([k]) => !form.ignoredKeys.includes(k)));

  const envFile = withEnvFile(absolute, raw, options.env ?? process.env, {
    file: absolute,
    path: 'manager.env_file',
    ...locate(source, ['manager', 'env_file']),
  });
  warnings.push(...envFile.warnings);
  const interpolated = interpolate(raw, envFile.env);
  const unset = new Map<string, string[]>();
  const issues: ConfigIssue[] = [...envFile.issues];
  for (const problem of interpolated.problems) {
    const server = disabledServer(problem, interpolated.value, form);
    if (server === undefined) {
      const at = locate(source, problem.path, { needle: problem.placeholder });
      issues.push({ file: absolute, path: formatPath(problem.path), ...at, message: problem.message });
      continue;
    }
    // a disabled server may reference unset variables (the catalog does); it records them instead
    unset.set(server, [...new Set([...(unset.get(server) ?? []), problem.variable])]);
  }

  const knownKeys = new Map<string, string[]>();
  const validated = validateForm(form.name, interpolated.value, errorMap(knownKeys));
  if (!validated.ok) issues.push(...fromZod(validated.issues, { source, data: interpolated.value, templates: interpolated.templates, knownKeys }));
  if (!validated.ok || issues.length) return { ok: false, issues: byPosition(issues) };

  const servers = inFileOrder(Object.entries(validated.servers), source, form.serversKey);
  const config = normalize({ manager: validated.manager, servers }, absolute, unset);
  return { ok: true, config, warnings: byPosition(warnings) };
}

function ignoredKeyWarnings(source: Source, form: Form): ConfigIssue[] {
  return form.ignoredKeys.map((key) => ({
    file: source.file,
    path: '',
    ...locate(source, [key], { key: true }),
    message: `ignored key ${JSON.stringify(key)} (not part of the MCP server configuration)`,
  }));
}

/** The server a problem belongs to, when that server is disabled. */
function disabledServer(problem: Unresolved, data: unknown, form: Form): string | undefined {
  const [top, name] = problem.path;
  if (problem.kind === 'malformed' || top !== form.serversKey || typeof name !== 'string' || !isRecord(data)) return undefined;
  const servers = data[form.serversKey];
  const entry = isRecord(servers) ? servers[name] : undefined;
  if (!isRecord(entry)) return undefined;
  const disabled = entry.enabled === false || entry.enabled === 'false' || entry.disabled === true || entry.disabled === 'true';
  return disabled ? name : undefined;
}

/** Object key order puts integer-like names first; the document has the real order. */
function inFileOrder<T>(entries: [string, T][], source: Source, serversKey: string): [string, T][] {
  const at = (name: string) => {
    const { line = 0, column = 0 } = locate(source, [serversKey, name], { key: true });
    return line * 1e6 + column;
  };
  return entries.map((e) => [at(e[0]), e] as const).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}

function byPosition(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.i - b.i)
    .map(({ issue }) => issue);
}
