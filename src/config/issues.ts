/**
 * zod issues → ConfigIssues: file, dotted path, line:column, and a message saying what was
 * expected and what arrived. What arrived is described without leaking secrets: values under
 * `env`/`headers` only by type, interpolated strings by their template, URLs without query.
 */
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { formatPath, valueAt, type ConfigPath } from './path.js';
import { locate, type LocateOptions, type Source } from './source.js';
import { closest } from './suggest.js';

export interface IssueContext {
  source: Source;
  /** The interpolated data that was validated. */
  data: unknown;
  /** Raw template of each interpolated string, by formatted path. */
  templates: ReadonlyMap<string, string>;
  /** Allowed keys of each object with unknown keys, by formatted path (filled by the error map). */
  knownKeys: Map<string, string[]>;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** Per-parse error map: messages for zod's built-in checks; records allowed keys for suggestions. */
export function errorMap(knownKeys: Map<string, string[]>): z.core.$ZodErrorMap {
  return (iss) => {
    switch (iss.code) {
      case 'invalid_type':
        return `expected ${TYPE_NAMES[iss.expected] ?? iss.expected}`;
      case 'too_small':
        return iss.origin === 'array' ? `expected at least ${String(iss.minimum)} item(s)` : `expected a value >= ${String(iss.minimum)}`;
      case 'too_big':
        return iss.origin === 'array' ? `expected at most ${String(iss.maximum)} item(s)` : `expected a value <= ${String(iss.maximum)}`;
      case 'unrecognized_keys': {
        const shape = (iss.inst as { shape?: unknown } | undefined)?.shape;
        if (shape && typeof shape === 'object') knownKeys.set(formatPath(plainPath(iss.path ?? [])), Object.keys(shape));
        return 'unknown key';
      }
      default:
        return undefined;
    }
  };
}

/**
 * At most `limit` issues (each is located in the document, which costs a walk); `more`
 * counts the problems left out.
 */
export function fromZod(
  issues: readonly z.core.$ZodIssue[],
  context: IssueContext,
  limit = Infinity,
): { issues: ConfigIssue[]; more: number } {
  const out: ConfigIssue[] = [];
  let more = 0;
  for (const iss of issues) {
    const count = iss.code === 'unrecognized_keys' ? iss.keys.length : 1;
    const room = limit - out.length;
    if (room <= 0) {
      more += count;
      continue;
    }
    const converted = convert(iss, context, room);
    out.push(...converted);
    more += count - converted.length;
  }
  return { issues: out, more };
}

function convert(iss: z.core.$ZodIssue, context: IssueContext, room: number): ConfigIssue[] {
  const path = plainPath(iss.path);
  const make = (at: ConfigPath, message: string, options?: LocateOptions, locateAt: ConfigPath = at): ConfigIssue => ({
    file: context.source.file,
    path: formatPath(at),
    ...locate(context.source, locateAt, options),
    message,
  });
  if (iss.code === 'unrecognized_keys') {
    const known = context.knownKeys.get(formatPath(path)) ?? [];
    return iss.keys.slice(0, room).map((key) => {
      const hint = closest(key, known);
      return make(path, `unknown key ${JSON.stringify(key)}${hint ? ` (did you mean "${hint}"?)` : ''}`, { key: true }, [...path, key]);
    });
  }
  if (iss.code === 'invalid_key') {
    const key = path[path.length - 1];
    const inner = iss.issues[0]?.message ?? 'invalid key';
    return [make(path, `${inner}, got ${JSON.stringify(String(key))}`, { key: true })];
  }
  const hint = iss.code === 'custom' && typeof iss.params?.hint === 'string' ? ` (${iss.params.hint})` : '';
  return [make(path, withReceived(iss, path, context) + hint)];
}

function plainPath(path: readonly PropertyKey[]): ConfigPath {
  return path.filter((s): s is string | number => typeof s !== 'symbol');
}

/** "expected X" + ", got Y"; the data at the path, else the issue's input (after a preprocess step). */
function withReceived(iss: z.core.$ZodIssue, path: ConfigPath, context: IssueContext): string {
  const message = iss.message;
  if (!message.startsWith('expected')) return message;
  const value = valueAt(context.data, path) ?? iss.input;
  if (value === undefined) return `missing (${message})`;
  return `${message}, got ${describeValue(value, path, context.templates)}`;
}

/** What arrived, safe to print. */
export function describeValue(value: unknown, path: ConfigPath, templates: ReadonlyMap<string, string>): string {
  const template = templates.get(formatPath(path));
  if (template !== undefined) return `the value of ${JSON.stringify(template)}`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const secret = path.some((segment) => segment === 'env' || segment === 'headers');
  if (secret) return `a ${typeof value}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return typeof value;
  const last = path[path.length - 1];
  return JSON.stringify(truncate(last === 'url' ? withoutSecrets(value) : value));
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Drop credentials and query from a URL-ish string. */
function withoutSecrets(text: string): string {
  if (!URL.canParse(text)) return text.replace(/[?#].*$/s, '');
  const url = new URL(text);
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}
