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
  const text = shown.map((k, i) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `${i === 0 ? '' : '.'}${k}` : `[${JSON.stringify(k)}]`)).join('');
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
      for (const key of Object.keys(v)) stack.push({ value: (v as Record<string, unknown>)[key], depth: frame.depth + 1, key, parent: frame });
    }
  }
  return null;
}

/** The message for a JSON-RPC error about `where` (a path from `excessiveNesting`). */
export function nestingMessage(where: string, maxDepth = MAX_MESSAGE_DEPTH): string {
  return `Invalid params: nested deeper than ${maxDepth} levels at ${where}`;
}
