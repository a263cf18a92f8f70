/**
 * YAML and JSON config files through the config loader (`parseConfigText`), so validation,
 * defaults and line:column come from one place. On top of the loader:
 * - one bad server entry does not hide the good ones: when the file has issues, the servers
 *   without issues are read again on their own (the text keeps its offsets, see text-edit.ts);
 * - keys the loader does not know (VS Code's `envFile`) can be taken out and handed back;
 * - `only` keeps a single servers mapping of a bigger settings file (Claude Desktop, `~/.claude.json`).
 */
import { detectForm } from '../config/forms.js';
import { parseConfigText } from '../config/load.js';
import { formatPath, isRecord, valueAt, type ConfigPath } from '../config/path.js';
import { parseSource, type Source } from '../config/source.js';
import type { ServerConfig } from '../config/types.js';
import type { ConfigIssue } from '../errors.js';
import { blank, keepOnly, outerBraces, pairKey, pairRange, pairsAt, type Range } from './text-edit.js';

export interface LoaderReadOptions {
  env: NodeJS.ProcessEnv;
  /**
   * Read only the servers mapping at this path (JSON files), e.g. `['mcpServers']` of Claude
   * Desktop's settings; its last key must be `mcpServers`. No such mapping → no servers, no issues.
   */
  only?: ConfigPath;
  /** Keys taken out of every server entry before validation; returned in `extracted`. */
  extract?: readonly string[];
}

export interface Located<T> {
  value: T;
  line?: number;
  column?: number;
}

export interface LoadedEntry {
  name: string;
  config: ServerConfig;
  /** The entry as written (before interpolation). */
  raw: Record<string, unknown>;
  line?: number;
  column?: number;
  extracted: Map<string, Located<unknown>>;
}

export interface LoaderRead {
  entries: LoadedEntry[];
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
  /** The parsed document (undefined when the file did not parse). */
  source?: Source;
}

export function readWithLoader(file: string, text: string, options: LoaderReadOptions): LoaderRead {
  const parsed = parseSource(text, file);
  if (!parsed.ok) return { entries: [], issues: parsed.issues, warnings: [] };
  const { source } = parsed;
  const position = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = source.lines.linePos(offset);
    return { line, column: col };
  };

  let work = source.text;
  let serversPath: ConfigPath;
  let loaderKey: string;
  if (options.only) {
    const parentPairs = pairsAt(source.doc, options.only.slice(0, -1));
    const key = options.only[options.only.length - 1];
    const pair = parentPairs.find((p) => pairKey(p) === String(key));
    const range = pair && pairRange(work, pair);
    if (!range || !source.isJson) return { entries: [], issues: [], warnings: [], source };
    work = keepOnly(work, [...outerBraces(work, source.doc), range]);
    serversPath = options.only;
    loaderKey = String(key);
  } else {
    loaderKey = detectForm(parsed.value, source.isJson).serversKey;
    serversPath = [loaderKey];
  }

  const serverPairs = pairsAt(source.doc, serversPath).filter((p) => pairKey(p) !== undefined);
  const extracted = new Map<string, Map<string, Located<unknown>>>();
  const cut: Range[] = [];
  for (const pair of serverPairs) {
    const name = pairKey(pair) ?? '';
    const found = new Map<string, Located<unknown>>();
    for (const item of pairsAt(source.doc, [...serversPath, name])) {
      const key = pairKey(item);
      const range = pairRange(work, item);
      if (key === undefined || !options.extract?.includes(key) || !range) continue;
      found.set(key, { value: valueAt(parsed.value, [...serversPath, name, key]), ...position(range[0]) });
      cut.push(range);
    }
    extracted.set(name, found);
  }
  work = blank(work, cut);

  const entryOf = (config: ServerConfig): LoadedEntry => {
    const pair = serverPairs.find((p) => pairKey(p) === config.name);
    const raw = valueAt(parsed.value, [...serversPath, config.name]);
    return {
      name: config.name,
      config,
      raw: isRecord(raw) ? raw : {},
      ...position((pair?.key as { range?: readonly number[] } | null)?.range?.[0]),
      extracted: extracted.get(config.name) ?? new Map<string, Located<unknown>>(),
    };
  };

  const whole = parseConfigText(work, file, { env: options.env });
  if (whole.ok) return { entries: whole.config.servers.map(entryOf), issues: [], warnings: whole.warnings, source };

  // Some entries are bad: read the others on their own, without the rest of the file.
  const prefix = (name: string) => formatPath([loaderKey, name]);
  const belongsTo = (issue: ConfigIssue, name: string) => {
    const p = prefix(name);
    return issue.path === p || issue.path.startsWith(`${p}.`) || issue.path.startsWith(`${p}[`);
  };
  const bad = new Set(serverPairs.map((p) => pairKey(p) ?? '').filter((name) => whole.issues.some((issue) => belongsTo(issue, name))));
  const good = serverPairs.filter((p) => !bad.has(pairKey(p) ?? ''));
  if (!good.length) return { entries: [], issues: whole.issues, warnings: [], source };

  // (with `only`, everything outside the servers mapping is blank already)
  const others = options.only ? [] : pairsAt(source.doc, []).filter((p) => pairKey(p) !== loaderKey);
  const drop = [...others, ...serverPairs.filter((p) => bad.has(pairKey(p) ?? ''))];
  const isolated = blank(
    work,
    drop.map((p) => pairRange(work, p)).filter((r): r is Range => r !== undefined),
  );
  const second = parseConfigText(isolated, file, { env: options.env });
  if (second.ok) return { entries: second.config.servers.map(entryOf), issues: whole.issues, warnings: second.warnings, source };
  return { entries: [], issues: dedupe([...whole.issues, ...second.issues]), warnings: [], source };
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.line ?? ''}:${issue.column ?? ''}:${issue.path}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
