/**
 * Text → YAML Document with positions (JSON is parsed by the same YAML 1.2 parser, after a
 * strict JSON syntax check), plus `locate()` to turn a path into line:column.
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue } from '../errors.js';
import { stripJsonComments } from './jsonc.js';
import { isRecord, type ConfigPath } from './path.js';

export interface Source {
  file: string;
  /** The text the document was parsed from (comments blanked for JSON). */
  text: string;
  isJson: boolean;
  doc: Document;
  lines: LineCounter;
}

export type Parsed =
  { ok: true; source: Source; value: Record<string, unknown>; warnings: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

const JSON_EXTENSIONS = new Set(['.json', '.jsonc']);

export function parseSource(rawText: string, file: string): Parsed {
  const isJson = JSON_EXTENSIONS.has(path.extname(file).toLowerCase());
  const text = isJson ? stripJsonComments(rawText) : rawText;
  const lines = new LineCounter();
  // yaml's own unique-key check compares each key with every earlier one (quadratic: 14 s for
  // 55 k keys); the same rule is checked below with one set per mapping
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: !isJson, uniqueKeys: false });
  const at = (offset: number) => position(lines, offset);
  if (isJson) {
    const problem = jsonSyntaxProblem(text);
    if (problem) {
      const offset = problem.offset ?? doc.errors[0]?.pos[0];
      return {
        ok: false,
        issues: [{ file, path: '', ...(offset === undefined ? {} : at(offset)), message: `invalid JSON: ${problem.message}` }],
      };
    }
  }
  const kind = isJson ? 'JSON' : 'YAML';
  if (doc.errors.length) {
    return { ok: false, issues: doc.errors.map((e) => ({ file, path: '', ...at(e.pos[0]), message: `invalid ${kind}: ${e.message}` })) };
  }
  const duplicates = duplicateKeyOffsets(doc, !isJson);
  if (duplicates.length) {
    return {
      ok: false,
      issues: duplicates.map((offset) => ({ file, path: '', ...at(offset), message: `invalid ${kind}: Map keys must be unique` })),
    };
  }
  const warnings = doc.warnings.map((w) => ({ file, path: '', ...at(w.pos[0]), message: w.message }));
  if (doc.contents === null)
    return { ok: false, issues: [{ file, path: '', message: 'the file is empty (expected a mapping with "servers")' }] };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, issues: [{ file, path: '', message: `cannot read document: ${(error as Error).message}` }] };
  }
  if (!isRecord(value)) {
    const got = Array.isArray(value) ? 'a list' : typeof value;
    return {
      ok: false,
      issues: [{ file, path: '', ...at(0), message: `expected a mapping at the top level (e.g. "servers:"), got ${got}` }],
    };
  }
  return { ok: true, source: { file, text, isJson, doc, lines }, value, warnings };
}

/**
 * Where a mapping repeats a key (the later occurrences), in linear time. Walks with an
 * explicit stack: a deeply nested document cannot overflow the call stack here.
 */
function duplicateKeyOffsets(doc: Document, merge: boolean): number[] {
  const offsets: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
      continue;
    }
    if (!isMap(node)) continue;
    const seen = new Set<string>();
    for (const pair of node.items) {
      stack.push(pair.value);
      if (!isScalar(pair.key)) continue;
      const value: unknown = pair.key.value;
      // merge keys (`<<`, resolved to a symbol) may repeat
      if (merge && (value === '<<' || (typeof value === 'symbol' && value.description === '<<'))) continue;
      const id = `${typeof value}:${String(value)}`;
      if (seen.has(id)) offsets.push(pair.key.range?.[0] ?? 0);
      else seen.add(id);
    }
  }
  return offsets.sort((a, b) => a - b);
}

function position(lines: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** JSON.parse's verdict, without the text snippet newer Node versions put in the message. */
function jsonSyntaxProblem(text: string): { message: string; offset?: number } | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const raw = (error as Error).message;
    const at = /at position (\d+)/.exec(raw)?.[1];
    const message = raw.replace(/ in JSON at position.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    if (at !== undefined) return { message, offset: Number(at) };
    return /end of JSON input/.test(raw) ? { message, offset: text.trimEnd().length } : { message };
  }
}

export interface LocateOptions {
  /** Point at the key rather than its value (unknown keys, bad names). */
  key?: boolean;
  /** Text inside a scalar to point at, e.g. the placeholder `${TOKEN}`. */
  needle?: string;
}

/** line:column of `path`, else of its nearest existing parent; undefined only for an empty document. */
export function locate(source: Source, target: ConfigPath, options: LocateOptions = {}): { line?: number; column?: number } {
  let node: unknown = source.doc.contents;
  let keyNode: Node | undefined;
  let found = true;
  for (const segment of target) {
    const next = child(node, segment);
    if (!next) {
      found = false;
      break;
    }
    [node, keyNode] = [next.node, next.key];
  }
  const offset = pick(source, node, keyNode, found, options);
  return offset === undefined ? {} : position(source.lines, offset);
}

function child(node: unknown, segment: string | number): { node: unknown; key?: Node } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
    return pair ? { node: pair.value, key: pair.key as Node } : undefined;
  }
  if (isSeq(node) && typeof segment === 'number') return segment < node.items.length ? { node: node.items[segment] } : undefined;
  return undefined;
}

function pick(source: Source, node: unknown, keyNode: Node | undefined, found: boolean, options: LocateOptions): number | undefined {
  const keyStart = keyNode?.range?.[0];
  if (!found || options.key || !isScalar(node)) return keyStart ?? rangeOf(node)?.[0];
  const range = rangeOf(node);
  if (!range || range[0] === range[1]) return keyStart ?? range?.[0]; // an empty value: point at its key
  const inside = options.needle ? source.text.slice(range[0], range[1]).indexOf(options.needle) : -1;
  return range[0] + Math.max(inside, 0);
}

function rangeOf(node: unknown): readonly [number, number, number] | undefined {
  return isMap(node) || isSeq(node) || isScalar(node) ? (node.range ?? undefined) : undefined;
}
