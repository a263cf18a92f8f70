/**
 * Edit a config file's text in place: add or remove one server entry, set one manager key.
 * YAML is read with the `yaml` Document API, which locates the nodes; the change is then
 * spliced into the original text, so every byte outside the edited entry (comments, order,
 * blank lines, quoting) stays as it was. JSON is rewritten with the file's own indentation.
 */
import { Document, isMap, isScalar, parseDocument, visit, type Pair, type YAMLMap } from 'yaml';
import { ManagerError } from '../errors.js';
import { isRecord } from './path.js';

/** One server's settings as written in a config file (snake_case keys). */
export type ServerEntryData = Record<string, unknown>;

export interface ConfigText {
  text: string;
  /** JSON (by extension); otherwise YAML. */
  isJson: boolean;
}

/** The key holding the servers: `servers` (ours, VS Code) or `mcpServers` (Claude Desktop, `.mcp.json`). */
export function serversKeyOf(value: unknown): 'servers' | 'mcpServers' {
  if (isRecord(value) && 'mcpServers' in value && !('servers' in value)) return 'mcpServers';
  return 'servers';
}

/** Names of the servers declared in the text (in file order). */
export function serverNamesIn(config: ConfigText): string[] {
  const value: unknown = config.isJson ? parseJson(config.text) : parseYaml(config.text).toJS();
  const servers = isRecord(value) ? value[serversKeyOf(value)] : undefined;
  return isRecord(servers) ? Object.keys(servers) : [];
}

export function addServer(config: ConfigText, name: string, entry: ServerEntryData): string {
  if (config.isJson) {
    return editJson(config.text, (value) => {
      const key = serversKeyOf(value);
      const servers = isRecord(value[key]) ? value[key] : (value[key] = {});
      if (name in servers) throw exists(name);
      servers[name] = entry;
    });
  }
  const doc = parseYaml(config.text);
  const key = serversKeyOf(doc.toJS());
  if (doc.hasIn([key, name])) throw exists(name);
  return insertPair(config.text, doc, key, name, entry);
}

export function removeServer(config: ConfigText, name: string): string {
  if (config.isJson) {
    return editJson(config.text, (value) => {
      const servers = value[serversKeyOf(value)];
      if (!isRecord(servers) || !(name in servers)) throw missing(name);
      delete servers[name];
    });
  }
  const doc = parseYaml(config.text);
  const key = serversKeyOf(doc.toJS());
  const map = doc.get(key, true);
  const pair = isMap(map) ? map.items.find((p) => isScalar(p.key) && String(p.key.value) === name) : undefined;
  if (!isMap(map) || !pair) throw missing(name);
  if (map.flow) {
    doc.deleteIn([key, name]);
    return doc.toString();
  }
  const [start, end] = pairRegion(config.text, pair, true);
  return config.text.slice(0, start) + config.text.slice(end);
}

/** Set `manager.KEY` (added when absent; an existing value is left alone and returned as is). */
export function setManagerKey(config: ConfigText, key: string, value: string): string {
  if (config.isJson) {
    return editJson(config.text, (data) => {
      const manager = isRecord(data.manager) ? data.manager : (data.manager = {});
      manager[key] = value;
    });
  }
  const doc = parseYaml(config.text);
  if (doc.getIn(['manager', key]) === value) return config.text;
  if (doc.hasIn(['manager', key])) {
    doc.setIn(['manager', key], value);
    return doc.toString();
  }
  return insertPair(config.text, doc, 'manager', key, value);
}

function exists(name: string): ManagerError {
  return new ManagerError('USAGE', `a server named "${name}" is already configured`, { data: { server: name } });
}

function missing(name: string): ManagerError {
  return new ManagerError('SERVER_NOT_FOUND', `no server named "${name}" in the config file`, { data: { server: name } });
}

function parseYaml(text: string): Document.Parsed {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) {
    throw new ManagerError('CONFIG_INVALID', `the config file is not valid YAML: ${doc.errors[0]!.message}`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new ManagerError('CONFIG_INVALID', 'the config file is not a mapping at its top level');
  }
  return doc;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ManagerError('CONFIG_INVALID', `the config file is not valid JSON: ${(error as Error).message}`);
  }
}

/** Parse, change, and print back with the file's indentation and final newline. */
export function editJson(text: string, change: (value: Record<string, unknown>) => void): string {
  const value = text.trim() === '' ? {} : parseJson(text);
  if (!isRecord(value)) throw new ManagerError('CONFIG_INVALID', 'the config file is not a JSON object');
  change(value);
  const indent = /^[{[][^\n]*\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  const trailing = text === '' || text.endsWith('\n') ? '\n' : '';
  return JSON.stringify(value, null, indent) + trailing;
}

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;
const indentOf = (line: string): number => line.length - line.trimStart().length;

/**
 * Where one `key: value` pair of a block map lies in the text: from the start of its key's
 * line to the end of its last line (nested lines, indented deeper, included; blank lines
 * after it excluded). With `withComments`, comment lines right above it at its indent count too.
 */
function pairRegion(text: string, pair: Pair, withComments: boolean): [number, number] {
  const keyStart = (pair.key as { range?: [number, number, number] }).range?.[0] ?? 0;
  let start = lineStart(text, keyStart);
  const indent = keyStart - start;
  if (withComments) {
    for (;;) {
      if (start === 0) break;
      const prev = lineStart(text, start - 1);
      const line = text.slice(prev, start - 1);
      if (!(line.trim().startsWith('#') && indentOf(line) === indent)) break;
      start = prev;
    }
  }
  // the pair ends before the first later line with content at its own indent or less
  let end = text.indexOf('\n', keyStart);
  end = end === -1 ? text.length : end + 1;
  let lastContent = end;
  let at = end;
  while (at < text.length) {
    const next = text.indexOf('\n', at);
    const lineEnd = next === -1 ? text.length : next + 1;
    const line = text.slice(at, lineEnd).replace(/\r?\n$/, '');
    if (line.trim() !== '') {
      if (indentOf(line) <= indent) break;
      lastContent = lineEnd;
    }
    at = lineEnd;
  }
  return [start, lastContent];
}

/** Insert `key: value` as the last pair of the top-level map `mapKey` (created when absent). */
function insertPair(text: string, doc: Document.Parsed, mapKey: string, key: string, value: unknown): string {
  const map = doc.get(mapKey, true);
  const top = doc.contents as YAMLMap | null;
  const topPair = top?.items.find((p) => isScalar(p.key) && p.key.value === mapKey);

  if (isMap(map) && map.flow && map.items.length > 0) {
    // a flow mapping cannot take a block entry; let the Document API print it
    doc.setIn([mapKey, key], value);
    return doc.toString();
  }
  if (!topPair) {
    const body = renderPair(key, value, 2, 2);
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    return `${text}${sep}${mapKey}:\n${body}`;
  }
  if (!isMap(map) || map.items.length === 0) {
    // `servers:` with nothing (or `{}`, or only comments) under it: the entry goes right below
    const keyStart = (topPair.key as { range: [number, number, number] }).range[0];
    const valueNode = topPair.value as { range?: [number, number, number] } | null;
    let lineEnd = text.indexOf('\n', keyStart);
    lineEnd = lineEnd === -1 ? text.length : lineEnd;
    let head = text.slice(0, lineEnd);
    if (isMap(map) && valueNode?.range) head = text.slice(0, valueNode.range[0]).trimEnd() + text.slice(valueNode.range[1], lineEnd);
    const body = renderPair(key, value, 2, 2);
    const rest = text.slice(lineEnd);
    return `${head}\n${body.replace(/\n$/, '')}${rest === '' ? '\n' : rest}`;
  }

  const first = map.items[0]!;
  const firstKeyStart = (first.key as { range: [number, number, number] }).range[0];
  const indent = firstKeyStart - lineStart(text, firstKeyStart);
  const last = map.items[map.items.length - 1]!;
  const [, end] = pairRegion(text, last, false);
  const body = renderPair(key, value, indent, nestedIndent(text, map, indent));
  const before = text.slice(0, end);
  const sep = before.endsWith('\n') ? '' : '\n';
  return `${before}${sep}${body}${text.slice(end)}`;
}

/** How far the file indents one level inside an entry (from its first nested entry); default 2. */
function nestedIndent(text: string, map: YAMLMap, indent: number): number {
  for (const pair of map.items) {
    if (isMap(pair.value) && !pair.value.flow && pair.value.items.length > 0) {
      const start = (pair.value.items[0]!.key as { range: [number, number, number] }).range[0];
      const step = start - lineStart(text, start) - indent;
      if (step > 0) return step;
    }
  }
  return 2;
}

/** `key: value` as block YAML indented by `indent`; lists of plain values are written inline. */
function renderPair(key: string, value: unknown, indent: number, step: number): string {
  const doc = new Document({ [key]: value });
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
    Map(_, node) {
      if (node.items.length === 0) node.flow = true;
    },
  });
  const text = doc.toString({ indent: step, lineWidth: 0, flowCollectionPadding: false });
  const pad = ' '.repeat(indent);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}
