/**
 * Config files → `Config`. Every problem is reported at once, each with file, dotted path
 * and line:column. Order of work: parse (YAML/JSON) → interpolate `${VAR}` → validate
 * (zod) → normalize (defaults, absolute paths).
 */
import path from 'node:path';
import { ConfigError, ManagerError, errorMessage, type ConfigIssue } from '../errors.js';
import { withEnvFile } from './env-file.js';
import { detectForm, validateForm, type Form } from './forms.js';
import { interpolate, type Unresolved } from './interpolate.js';
import { errorMap, fromZod } from './issues.js';
import { CONFIG_LIMITS } from './limits.js';
import { normalize } from './normalize.js';
import { formatPath, isRecord } from './path.js';
import { readTextFile } from './read-file.js';
import { isMap, isScalar } from 'yaml';
import { locate, parseSource, type Source } from './source.js';
import type { Config } from './types.js';

export type ConfigResult =
  | { ok: true; config: Config; warnings: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[]; /** The file does not exist. */ missing?: true };

export interface LoadOptions {
  /** Variables for `${VAR}`; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Read (through the guarded reader) and check a config file; never throws for problems in the file. */
export async function readConfig(file: string, options: LoadOptions = {}): Promise<ConfigResult> {
  const read = await readTextFile(file);
  if (read.ok) return parseConfigText(read.text, file, options);
  return { ok: false, issues: [read.issue], ...(read.missing ? { missing: true as const } : {}) };
}

/** A `ConfigResult` as the Config, or a thrown `ConfigError` (`CONFIG_NOT_FOUND` for a missing file). */
export function configOrThrow(result: ConfigResult, onWarning?: (warning: ConfigIssue) => void): Config {
  if (!result.ok) {
    const file = result.issues[0]?.file;
    if (result.missing) throw new ManagerError('CONFIG_NOT_FOUND', `config file not found: ${file}`, { data: { file } });
    throw new ConfigError(result.issues);
  }
  result.warnings.forEach((w) => onWarning?.(w));
  return result.config;
}

/** Check config text as if it were the file `file` (its extension picks JSON or YAML; relative paths resolve against its directory). */
export function parseConfigText(text: string, file: string, options: LoadOptions = {}): ConfigResult {
  try {
    return parseChecked(text, file, options);
  } catch (error) {
    // the one way through here is a document nested too deep for the parser (a stack overflow)
    const reason = error instanceof RangeError ? 'nested too deeply to read' : errorMessage(error);
    return { ok: false, issues: [{ file: path.resolve(file), path: '', message: `cannot read document: ${reason}` }] };
  }
}

function parseChecked(text: string, file: string, options: LoadOptions): ConfigResult {
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
  let more = 0;
  for (const problem of interpolated.problems) {
    const server = disabledServer(problem, interpolated.value, form);
    if (server === undefined) {
      if (issues.length >= CONFIG_LIMITS.issues) {
        more++;
        continue;
      }
      const at = locate(source, problem.path, { needle: problem.placeholder });
      issues.push({ file: absolute, path: formatPath(problem.path), ...at, message: problem.message });
      continue;
    }
    // a disabled server may reference unset variables (the catalog does); it records them instead
    unset.set(server, [...new Set([...(unset.get(server) ?? []), problem.variable])]);
  }

  // past the expansion bound the data is cut short: checking it further would only mislead
  if (interpolated.problems.some((p) => p.kind === 'limit'))
    return { ok: false, issues: byPosition(issues.filter((i) => i.message.includes('expansion'))) };

  const knownKeys = new Map<string, string[]>();
  const validated = validateForm(form.name, interpolated.value, errorMap(knownKeys));
  if (!validated.ok) {
    const context = { source, data: interpolated.value, templates: interpolated.templates, knownKeys };
    const converted = fromZod(validated.issues, context, Math.max(CONFIG_LIMITS.issues - issues.length, 0));
    issues.push(...converted.issues);
    more += converted.more;
  }
  if (!validated.ok || issues.length) {
    const rest: ConfigIssue[] = more
      ? [{ file: absolute, path: '', message: `and ${more} more problems (the first ${issues.length} are listed)` }]
      : [];
    return { ok: false, issues: [...byPosition(issues), ...rest] };
  }

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
  if (problem.kind === 'malformed' || problem.kind === 'limit' || top !== form.serversKey || typeof name !== 'string' || !isRecord(data))
    return undefined;
  const servers = data[form.serversKey];
  const entry = isRecord(servers) ? servers[name] : undefined;
  if (!isRecord(entry)) return undefined;
  const disabled = entry.enabled === false || entry.enabled === 'false' || entry.disabled === true || entry.disabled === 'true';
  return disabled ? name : undefined;
}

/** Object key order puts integer-like names first; the document has the real order. */
function inFileOrder<T>(entries: [string, T][], source: Source, serversKey: string): [string, T][] {
  // one pass over the servers mapping (locating each name on its own would be quadratic)
  const servers = source.doc.get(serversKey, true);
  const offsets = new Map<string, number>();
  if (isMap(servers))
    for (const pair of servers.items) if (isScalar(pair.key)) offsets.set(String(pair.key.value), pair.key.range?.[0] ?? 0);
  const at = (name: string) => offsets.get(name) ?? 0;
  return entries
    .map((e) => [at(e[0]), e] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, e]) => e);
}

function byPosition(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.i - b.i)
    .map(({ issue }) => issue);
}
