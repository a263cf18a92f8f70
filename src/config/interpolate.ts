/**
 * `${VAR}` and `${VAR:-default}` (default used when VAR is unset or empty; defaults may
 * nest: `${A:-${B}/x}`) in every string value. `${env:VAR}` (VS Code) is `${VAR}`;
 * `$${` is a literal `${`; a `$` not followed by `{` is literal. Values never appear in
 * problems, only variable names.
 */
import { CONFIG_LIMITS } from './limits.js';
import { formatPath, isRecord, type ConfigPath } from './path.js';

type Part = string | { name: string; source: string; fallback?: Part[] };

export interface Unresolved {
  /** `limit`: expansion would pass `CONFIG_LIMITS.expandedChars`. */
  kind: 'unset' | 'input' | 'malformed' | 'limit';
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

/** How deep defaults may nest (`${A:-${B:-${C}}}` is 3); deeper is a config error, not a stack overflow. */
export const MAX_PLACEHOLDER_DEPTH = 16;

export function interpolate(value: unknown, env: NodeJS.ProcessEnv = process.env): InterpolationResult {
  const result: InterpolationResult = { value: undefined, problems: [], templates: new Map() };
  const budget = { left: CONFIG_LIMITS.expandedChars, exceeded: false };
  result.value = walk(value, [], env, result, budget);
  return result;
}

interface Budget {
  left: number;
  exceeded: boolean;
}

function walk(value: unknown, path: ConfigPath, env: NodeJS.ProcessEnv, out: InterpolationResult, budget: Budget): unknown {
  if (typeof value === 'string') return expandAt(value, path, env, out, budget);
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i], env, out, budget));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k], env, out, budget)]));
  return value;
}

/** The expanded string; on any problem the raw text is kept and the problems are recorded. */
function expandAt(text: string, path: ConfigPath, env: NodeJS.ProcessEnv, out: InterpolationResult, budget: Budget): string {
  const expanded = expandText(text, path, env, out, Math.max(budget.left, 0));
  budget.left -= expanded.length;
  if (budget.left < 0 && !budget.exceeded) {
    budget.exceeded = true;
    const limit = `${CONFIG_LIMITS.expandedChars / (1024 * 1024)} MiB`;
    out.problems.push({
      kind: 'limit',
      path,
      placeholder: '${',
      variable: '',
      message: `the config holds more than ${limit} of text after \${VAR} expansion`,
    });
  }
  return budget.exceeded ? text : expanded;
}

/** `max`: evaluation stops soon after this many characters (the caller then reports the limit). */
function expandText(text: string, path: ConfigPath, env: NodeJS.ProcessEnv, out: InterpolationResult, max: number): string {
  if (!text.includes('$')) return text;
  const parsed = parseTemplate(text);
  if (typeof parsed === 'string') {
    out.problems.push({ kind: 'malformed', path, placeholder: '${', variable: '', message: parsed });
    return text;
  }
  if (parsed.every((part) => typeof part === 'string')) return parsed.join('');
  out.templates.set(formatPath(path), text);
  const problems: Unresolved[] = [];
  const value = evaluate(parsed, env, max, (variable, placeholder) => {
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

function evaluate(
  parts: Part[],
  env: NodeJS.ProcessEnv,
  max: number,
  onUnresolved: (variable: string, placeholder: string) => void,
): string {
  let out = '';
  for (const part of parts) {
    if (out.length > max) break;
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const name = part.name.startsWith('env:') ? part.name.slice(4) : part.name;
    const value = name.startsWith('input:') ? undefined : env[name];
    if (value !== undefined && (value !== '' || !part.fallback)) out += value;
    else if (part.fallback) out += evaluate(part.fallback, env, max - out.length, onUnresolved);
    else onUnresolved(name, part.source);
  }
  return out;
}

/** Parts of a template, or a message when it is malformed. */
export function parseTemplate(text: string): Part[] | string {
  const parsed = parseParts(text, 0, 0);
  return typeof parsed === 'string' ? parsed : parsed.parts;
}

/** `depth` 0 is the string itself; n is inside the n-th nested default. */
function parseParts(text: string, start: number, depth: number): { parts: Part[]; end: number } | string {
  const inDefault = depth > 0;
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
      if (depth >= MAX_PLACEHOLDER_DEPTH) return `placeholders nested more than ${MAX_PLACEHOLDER_DEPTH} deep`;
      const placeholder = parsePlaceholder(text, i, depth);
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

function parsePlaceholder(text: string, start: number, depth: number): { part: Part; end: number } | string {
  const name = NAME.exec(text.slice(start + 2))?.[0];
  const malformed = `malformed placeholder: expected \${NAME} or \${NAME:-default}`;
  if (!name) return malformed;
  let i = start + 2 + name.length;
  if (text[i] === '}') return { part: { name, source: text.slice(start, i + 1) }, end: i + 1 };
  if (!text.startsWith(':-', i)) return i >= text.length ? 'unterminated placeholder: missing "}"' : malformed;
  const fallback = parseParts(text, i + 2, depth + 1);
  if (typeof fallback === 'string') return fallback;
  i = fallback.end;
  return { part: { name, source: text.slice(start, i + 1), fallback: fallback.parts }, end: i + 1 };
}
