/**
 * `.env` files (VS Code's `envFile`): `KEY=value` lines, optional `export `, `#` comments,
 * single quotes (literal), double quotes (`\n`, `\t`, `\"`, `\\` escapes), unquoted values
 * trimmed and cut at ` #`. Values are not interpolated. Bad lines are issues with their line.
 */
import type { ConfigIssue } from '../errors.js';

export interface EnvFile {
  vars: Record<string, string>;
  issues: ConfigIssue[];
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

export function parseEnvFile(text: string, file: string): EnvFile {
  const vars: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (!raw.trim() || raw.trimStart().startsWith('#')) continue;
    const match = LINE.exec(raw);
    const value = match ? parseValue(match[2] ?? '') : undefined;
    if (!match || value === undefined) {
      issues.push({ file, path: '', line: i + 1, column: 1, message: 'expected KEY=value' });
      continue;
    }
    vars[match[1] ?? ''] = value;
  }
  return { vars, issues };
}

/** undefined for an unterminated quote. */
function parseValue(raw: string): string | undefined {
  const text = raw.trim();
  if (text.startsWith("'")) {
    const end = text.indexOf("'", 1);
    return end === -1 ? undefined : text.slice(1, end);
  }
  if (text.startsWith('"')) {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      const ch = text[i] ?? '';
      if (ch === '"') return out;
      if (ch === '\\' && i + 1 < text.length) {
        const next = text[++i] ?? '';
        out += ESCAPES[next] ?? `\\${next}`;
      } else {
        out += ch;
      }
    }
    return undefined;
  }
  return text.replace(/\s+#.*$/, '');
}
