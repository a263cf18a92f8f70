/**
 * `${VAR}` and `${VAR:-default}` (default used when VAR is unset or empty; defaults may
 * nest: `${A:-${B}/x}`) in every string value. `${env:VAR}` (VS Code) is `${VAR}`;
 * `$${` is a literal `${`; a `$` not followed by `{` is literal. Values never appear in
 * problems, only variable names.
 */
import { formatPath, isRecord, type ConfigPath } from './path.js';

type Part = string | { name: string; source: string; fallback?: Part[] };

export interface Unresolved {
  kind: 'unset' | 'input' | 'malformed';
  path: ConfigPath;
  /** The placeholder as written, e.g. `${GITHUB_TOKEN}`; lets the caller point at its column. */
  placeholder: string;
  /** `GITHUB_TOKEN`, or `input:token` for a VS Code input. */
  variable: string;
  message: string;
}

export interface InterpolationResult {
  value: unknown;
  problems: Unresolved[];
  /** Raw text of every string that held a placeholder, by formatted path (to describe it without its value). */
  templates: Map<string, string>;
}

const NAME = /^input:[^}]+|^(?:env:)?[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(value: unknown, env: NodeJS.ProcessEnv = process.env): InterpolationResult {
  const result: InterpolationResult = { value: undefined, problems: [], templates: new Map() };
  result.value = walk(value, [], env, result);
  return result;
}

function walk(value: unknown, path: ConfigPath, env: NodeJS.ProcessEnv, out: InterpolationResult): unknown {
  if (typeof value === 'string') return expandAt(value, path, env, out);
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i], env, out));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k], env, out)]));
  return value;
}

/** The expanded string; on any problem the raw text is kept and the problems are recorded. */
function expandAt(text: string, path: ConfigPath, env: NodeJS.ProcessEnv, out: InterpolationResult): string {
  if (!text.includes('$')) return text;
  const parsed = parseTemplate(text);
  if (typeof parsed === 'string') {
    out.problems.push({ kind: 'malformed', path, placeholder: '${', variable: '', message: parsed });
    return text;
  }
  if (parsed.every((part) => typeof part === 'string')) return parsed.join('');
  out.templates.set(formatPath(path), text);
  const problems: Unresolved[] = [];
  const value = evaluate(parsed, env, (variable, placeholder) => {
    const kind = variable.startsWith('input:') ? 'input' : 'unset';
    problems.push({ kind, path, placeholder, variable, message: unresolvedMessage(variable) });
  });
  out.problems.push(...problems);
  return problems.length ? text : value;
}

function unresolvedMessage(variable: string): string {
  if (variable.startsWith('input:')) {
    return `unresolvable input placeholder \${${variable}} (inputs are prompted by VS Code; pass the value through an environment variable instead)`;
  }
  return `variable ${variable} is not set (write \${${variable}:-default} to give a default)`;
}

function evaluate(parts: Part[], env: NodeJS.ProcessEnv, onUnresolved: (variable: string, placeholder: string) => void): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const name = part.name.startsWith('env:') ? part.name.slice(4) : part.name;
    const value = name.startsWith('input:') ? undefined : env[name];
    if (value !== undefined && (value !== '' || !part.fallback)) out += value;
    else if (part.fallback) out += evaluate(part.fallback, env, onUnresolved);
    else onUnresolved(name, part.source);
  }
  return out;
}

/** Parts of a template, or a message when it is malformed. */
export function parseTemplate(text: string): Part[] | string {
  const parsed = parseParts(text, 0, false);
  return typeof parsed === 'string' ? parsed : parsed.parts;
}

function parseParts(text: string, start: number, inDefault: boolean): { parts: Part[]; end: number } | string {
  const parts: Part[] = [];
  let literal = '';
  let i = start;
  while (i < text.length) {
    if (inDefault && text[i] === '}') break;
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      if (literal) parts.push(literal);
      literal = '';
      const placeholder = parsePlaceholder(text, i);
      if (typeof placeholder === 'string') return placeholder;
      parts.push(placeholder.part);
      i = placeholder.end;
    } else {
      literal += text[i];
      i += 1;
    }
  }
  if (inDefault && i >= text.length) return 'unterminated placeholder: missing "}"';
  if (literal) parts.push(literal);
  return { parts, end: i };
}

function parsePlaceholder(text: string, start: number): { part: Part; end: number } | string {
  const name = NAME.exec(text.slice(start + 2))?.[0];
  const malformed = `malformed placeholder: expected \${NAME} or \${NAME:-default}`;
  if (!name) return malformed;
  let i = start + 2 + name.length;
  if (text[i] === '}') return { part: { name, source: text.slice(start, i + 1) }, end: i + 1 };
  if (!text.startsWith(':-', i)) return i >= text.length ? 'unterminated placeholder: missing "}"' : malformed;
  const fallback = parseParts(text, i + 2, true);
  if (typeof fallback === 'string') return fallback;
  i = fallback.end;
  return { part: { name, source: text.slice(start, i + 1), fallback: fallback.parts }, end: i + 1 };
}
