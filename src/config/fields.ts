/**
 * Leaf schemas. Each failure message starts with "expected …"; the issue mapper adds
 * ", got <what arrived>" (see issues.ts), so messages never embed values themselves.
 * Numbers and booleans also accept their string forms, so `"${PORT:-8080}"` works.
 */
import { z } from 'zod';
import { DURATION_EXPECTED, parseDuration } from './duration.js';
import { CONFIG_LIMITS } from './limits.js';
import { SIZE_EXPECTED, parseSize } from './size.js';
import { closest } from './suggest.js';

/** A schema from a parse function: undefined means "not valid", reported as `expected`. */
export function field<T>(expected: string, parse: (value: unknown) => T | undefined) {
  return z.unknown().transform((value, ctx): T => {
    const parsed = parse(value);
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return parsed;
  });
}

/** A message for a wrong type only; other issues (unknown keys, bad keys) keep theirs. */
export function typeError(message: string) {
  return { error: (iss: { code?: string }) => (iss.code === 'invalid_type' ? message : undefined) };
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value.trim())) return Number(value);
  return undefined;
}

interface Range {
  min?: number;
  /** min is exclusive */
  above?: number;
  max?: number;
}

function rangeText({ min, above, max }: Range): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (above !== undefined) return ` > ${above}`;
  return min === undefined ? '' : ` >= ${min}`;
}

function inRange(n: number, { min, above, max }: Range): boolean {
  return (min === undefined || n >= min) && (above === undefined || n > above) && (max === undefined || n <= max);
}

export function integer(range: Range) {
  return field(`expected an integer${rangeText(range)}`, (v) => {
    const n = toNumber(v);
    return n !== undefined && Number.isInteger(n) && inRange(n, range) ? n : undefined;
  });
}

export function number(range: Range) {
  return field(`expected a number${rangeText(range)}`, (v) => {
    const n = toNumber(v);
    return n !== undefined && inRange(n, range) ? n : undefined;
  });
}

export const boolean = field('expected true or false', (v) => {
  if (typeof v === 'boolean') return v;
  return v === 'true' ? true : v === 'false' ? false : undefined;
});

/** Milliseconds; `positive` rejects 0. */
export function duration({ positive }: { positive: boolean }) {
  return z.unknown().transform((value, ctx): number => {
    const ms = parseDuration(value);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: DURATION_EXPECTED });
    else if (positive && ms <= 0) ctx.addIssue({ code: 'custom', message: 'expected a positive duration' });
    else if (ms < 0) ctx.addIssue({ code: 'custom', message: 'expected a duration >= 0' });
    else return ms;
    return z.NEVER;
  });
}

export const size = z.unknown().transform((value, ctx): number => {
  const bytes = parseSize(value);
  if (bytes === undefined) ctx.addIssue({ code: 'custom', message: SIZE_EXPECTED });
  else if (bytes <= 0) ctx.addIssue({ code: 'custom', message: 'expected a positive size' });
  else return bytes;
  return z.NEVER;
});

export function oneOf<const T extends string>(values: readonly T[]) {
  const list = values.map((v) => JSON.stringify(v)).join(', ');
  return z.unknown().transform((value, ctx): T => {
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' ? closest(value, values) : undefined;
    ctx.addIssue({ code: 'custom', message: `expected one of ${list}`, params: hint ? { hint: `did you mean "${hint}"?` } : {} });
    return z.NEVER;
  });
}

const tooLong = (max: number) => ({ error: `expected at most ${max} characters` });
const tooMany = (max: number) => ({
  error: (iss: { input?: unknown }) => `at most ${max} items are allowed, got ${(iss.input as unknown[]).length}`,
});

export const string = z.string({ error: 'expected a string' }).max(CONFIG_LIMITS.stringChars, tooLong(CONFIG_LIMITS.stringChars));
export const nonEmptyString = string.min(1, { error: 'expected a non-empty string' });

/** Scalars in `args`, `env` and `headers` become strings (`PORT: 8080`, `args: [--port, 8080]`). */
export const scalarString = field('expected a string', (v) => {
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}).pipe(string);

export const stringList = z
  .array(string, typeError('expected a list of strings'))
  .max(CONFIG_LIMITS.listItems, tooMany(CONFIG_LIMITS.listItems));
export const argList = z
  .array(scalarString, typeError('expected a list of strings'))
  .max(CONFIG_LIMITS.listItems, tooMany(CONFIG_LIMITS.listItems));

/** A mapping of at most `CONFIG_LIMITS.mapEntries` entries (counted before any entry is checked). */
function bounded<T extends z.ZodType>(record: T) {
  const max = CONFIG_LIMITS.mapEntries;
  const few = (v: unknown) => typeof v !== 'object' || v === null || Object.keys(v).length <= max;
  return z
    .unknown()
    .refine(few, { error: (iss) => `at most ${max} entries are allowed, got ${Object.keys(iss.input as object).length}` })
    .pipe(record);
}

const ENV_NAME = /^[^=\0]+$/;
export const envMap = bounded(
  z.record(
    z.string().regex(ENV_NAME, { error: 'expected a variable name without "=" or NUL' }).max(1024, tooLong(1024)),
    scalarString,
    typeError('expected a mapping of NAME: value'),
  ),
);
export const headerMap = bounded(
  z.record(
    z
      .string()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'expected an HTTP header name' })
      .max(1024, tooLong(1024)),
    scalarString,
    typeError('expected a mapping of Header-Name: value'),
  ),
);

export const url = field('expected a URL (e.g. "https://example.com/mcp")', (v) => {
  if (typeof v !== 'string' || !URL.canParse(v)) return undefined;
  return v;
}).pipe(string);
