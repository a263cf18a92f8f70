/**
 * Bound on how deeply a client message may nest (tool arguments 10,000 levels deep would
 * otherwise overflow the stack somewhere downstream). Checked iteratively at the edge,
 * before anything recursive sees the message; the error names where the limit was passed.
 */

/** Levels below the message itself; real tool arguments stay far below it. */
export const MAX_MESSAGE_DEPTH = 128;

/** JSON-RPC "Invalid params". */
export const INVALID_PARAMS = -32602;

interface Frame {
  value: unknown;
  depth: number;
  key: string | number;
  parent: Frame | undefined;
}

/** Path segments shown at most (from the top, then `…`). */
const SHOWN_SEGMENTS = 8;

function pathOf(frame: Frame): string {
  const keys: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) keys.push(f.key);
  keys.reverse();
  const shown = keys.slice(0, SHOWN_SEGMENTS);
  const text = shown
    .map((k, i) =>
      typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `${i === 0 ? '' : '.'}${k}` : `[${JSON.stringify(k)}]`,
    )
    .join('');
  return keys.length > shown.length ? `${text}…` : text;
}

/**
 * Where `value` nests deeper than `maxDepth` levels, e.g. `params.arguments.a.a.a…`, or
 * null when it does not.
 */
export function excessiveNesting(value: unknown, maxDepth = MAX_MESSAGE_DEPTH): string | null {
  const stack: Frame[] = [{ value, depth: 0, key: '', parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v !== 'object' || v === null) continue;
    if (frame.depth >= maxDepth) return pathOf(frame) || '(top level)';
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], depth: frame.depth + 1, key: i, parent: frame });
    } else {
      for (const key of Object.keys(v))
        stack.push({ value: (v as Record<string, unknown>)[key], depth: frame.depth + 1, key, parent: frame });
    }
  }
  return null;
}

/** The message for a JSON-RPC error about `where` (a path from `excessiveNesting`). */
export function nestingMessage(where: string, maxDepth = MAX_MESSAGE_DEPTH): string {
  return `Invalid params: nested deeper than ${maxDepth} levels at ${where}`;
}

/**
 * JSON text with every container that opens deeper than `keepLevels` levels replaced by `0`,
 * so parsing it costs what a shallow document costs (V8 takes tens of milliseconds for one
 * nested 10,000 deep). A document within the bound comes back as it is. The levels kept are
 * enough for `excessiveNesting` to find the same place in the parsed value (a batch adds one
 * level). Strings are skipped whole; the text is not otherwise checked (JSON.parse does that).
 */
export function pruneDeepJson(text: string, keepLevels = MAX_MESSAGE_DEPTH + 2): string {
  let depth = 0;
  const kept: string[] = [];
  let copiedTo = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth <= keepLevels) continue;
      const end = closingOf(text, i);
      kept.push(text.slice(copiedTo, i), '0');
      copiedTo = end + 1;
      i = end;
      depth--;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return kept.length === 0 ? text : kept.join('') + text.slice(copiedTo);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index of the quote closing the string that opens at `start` (the last index if none does). */
function stringEnd(text: string, start: number): number {
  for (let end = text.indexOf('"', start + 1); end !== -1; end = text.indexOf('"', end + 1)) {
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
  }
  return text.length - 1;
}

/** Index of the bracket closing the container that opens at `start` (the last index if none does). */
function closingOf(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0) return i;
  }
  return text.length - 1;
}
