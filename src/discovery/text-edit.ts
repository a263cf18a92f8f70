/**
 * Edits of config text that keep every remaining character at its offset (removed text
 * becomes spaces, newlines stay), so the loader's line:column still point into the real file.
 * Used to take out keys the loader does not know (`envFile`), to isolate one server entry,
 * and to keep only the `mcpServers` part of another application's settings file.
 */
import { isMap, isScalar, type Document, type Pair } from 'yaml';
import type { ConfigPath } from '../config/path.js';

export type Range = readonly [start: number, end: number];

/** `text` with the ranges replaced by spaces (line breaks kept). */
export function blank(text: string, ranges: readonly Range[]): string {
  if (!ranges.length) return text;
  const out = text.split('');
  for (const [start, end] of ranges) {
    for (let i = Math.max(0, start); i < Math.min(end, out.length); i++) if (out[i] !== '\n' && out[i] !== '\r') out[i] = ' ';
  }
  return out.join('');
}

/** Everything blank except the ranges (line breaks kept). */
export function keepOnly(text: string, ranges: readonly Range[]): string {
  const out = text.split('').map((ch): string => (ch === '\n' || ch === '\r' ? ch : ' '));
  for (const [start, end] of ranges) for (let i = start; i < Math.min(end, text.length); i++) out[i] = text[i] ?? ' ';
  return out.join('');
}

/** The pairs of the mapping at `at` (empty when there is none). */
export function pairsAt(doc: Document, at: ConfigPath): Pair[] {
  const node = nodeAt(doc, at);
  return isMap(node) ? node.items : [];
}

/** The node at `at` (mapping keys only), or undefined. */
export function nodeAt(doc: Document, at: ConfigPath): unknown {
  let node: unknown = doc.contents;
  for (const segment of at) {
    if (!isMap(node)) return undefined;
    node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment))?.value;
  }
  return node;
}

export function pairKey(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

/**
 * The text range of a key-value pair, plus the comma after it in a flow mapping (JSON), so
 * blanking it leaves valid JSON. A comma left before a closing brace is a trailing comma,
 * which the loader's JSON reader blanks.
 */
export function pairRange(text: string, pair: Pair): Range | undefined {
  const start = (pair.key as { range?: readonly number[] } | null)?.range?.[0];
  const valueRange = (pair.value as { range?: readonly number[] } | null)?.range;
  const keyEnd = (pair.key as { range?: readonly number[] } | null)?.range?.[1];
  const end = valueRange?.[1] ?? keyEnd;
  if (start === undefined || end === undefined) return undefined;
  let after = end;
  while (after < text.length && /[ \t\r\n]/.test(text[after] ?? '')) after++;
  return [start, text[after] === ',' ? after + 1 : end];
}

/** The opening and closing brace of a flow mapping at the top of the document (JSON). */
export function outerBraces(text: string, doc: Document): Range[] {
  const [start, end] = (doc.contents as { range?: readonly number[] } | null)?.range ?? [];
  if (start === undefined || end === undefined || text[start] !== '{') return [];
  const close = text.lastIndexOf('}', end);
  return close > start
    ? [
        [start, start + 1],
        [close, close + 1],
      ]
    : [];
}
