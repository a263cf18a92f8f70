/**
 * JSON with comments (VS Code's `mcp.json`, `.mcp.json` edited by hand): blank out `//` and
 * `/* *\/` comments, trailing commas and a BOM with spaces, so every offset stays where it was.
 */
export function stripJsonComments(text: string): string {
  const out = text.split('');
  let pendingComma = -1;
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let j = from; j < to; j++) if (out[j] !== '\n' && out[j] !== '\r') out[j] = ' ';
  };
  if (text.startsWith('\uFEFF')) out[0] = ' ';
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      pendingComma = -1;
      i = skipString(text, i);
    } else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else {
      if (ch === '}' || ch === ']') {
        if (pendingComma >= 0) out[pendingComma] = ' ';
      }
      if (ch === ',') pendingComma = i;
      else if (ch !== undefined && !/\s/.test(ch)) pendingComma = -1;
      i += 1;
    }
  }
  return out.join('');
}

/** Index just past the string that starts at `start` (a `"`). */
function skipString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}
