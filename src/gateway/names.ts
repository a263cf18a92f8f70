/**
 * Public names for backend tools and prompts: `<prefix><separator><name>`, where the prefix
 * defaults to the server name and an empty prefix publishes the original name alone.
 *
 * Every public name matches PUBLIC_NAME_PATTERN. Characters outside the set become `_`; a
 * name longer than the limit keeps a readable head and ends in `_` + 8 hex digits of the
 * SHA-256 of the full intended name; a name taken already gets `_2`, `_3`, … and a warning.
 * The outcome depends only on the set of requests, never on their order.
 */
import { createHash } from 'node:crypto';

export const PUBLIC_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const DEFAULT_SEPARATOR = '__';
export const MAX_PUBLIC_NAME_LENGTH = 64;

const HASH_HEX_DIGITS = 8;
/** Room for a head character, `_` + hash, and a `_NN` collision suffix. */
const MIN_MAX_LENGTH = 16;

export interface NameRequest {
  server: string;
  /** undefined → the server name; '' → no prefix and no separator. */
  prefix?: string;
  /** The name the backend uses. */
  name: string;
}

export interface NameAssignment extends NameRequest {
  publicName: string;
}

export interface NamingResult {
  /** One per request, sorted by (server, name). */
  assignments: NameAssignment[];
  /** One per renamed collision. */
  warnings: string[];
  byPublic: Map<string, NameAssignment>;
}

export interface NamingOptions {
  /** Between prefix and name; default `__`. */
  separator?: string;
  /** Default and upper bound 64; at least 16. */
  maxLength?: number;
  /** What is being named, for warnings ("tool", "prompt"); default "name". */
  kind?: string;
}

export function isValidPublicName(name: string): boolean {
  return PUBLIC_NAME_PATTERN.test(name);
}

export function assignPublicNames(requests: readonly NameRequest[], options: NamingOptions = {}): NamingResult {
  const separator = options.separator ?? DEFAULT_SEPARATOR;
  const maxLength = options.maxLength ?? MAX_PUBLIC_NAME_LENGTH;
  const kind = options.kind ?? 'name';
  if (!Number.isInteger(maxLength) || maxLength < MIN_MAX_LENGTH || maxLength > MAX_PUBLIC_NAME_LENGTH) {
    throw new RangeError(`maxLength: expected an integer from ${MIN_MAX_LENGTH} to ${MAX_PUBLIC_NAME_LENGTH}, got ${maxLength}`);
  }

  const sorted = [...requests].sort(compareRequests);
  const candidates = sorted.map((request) => fitName(intendedName(request, separator), maxLength));

  // First come (in sorted order) keeps its candidate; the rest are renamed afterwards, so a
  // rename never takes a name that some other request would have had as it stands.
  const owner = new Map<string, number>();
  candidates.forEach((candidate, index) => {
    if (!owner.has(candidate)) owner.set(candidate, index);
  });
  const taken = new Set(owner.keys());

  const warnings: string[] = [];
  const assignments = sorted.map((request, index): NameAssignment => {
    const candidate = candidates[index]!;
    const ownerIndex = owner.get(candidate)!;
    if (ownerIndex === index) return { ...request, publicName: candidate };
    const publicName = renamed(candidate, taken, maxLength);
    taken.add(publicName);
    const holder = sorted[ownerIndex]!;
    warnings.push(
      `${kind} collision: "${request.name}" of server "${request.server}" is published as "${publicName}" ` +
        `because "${candidate}" is "${holder.name}" of server "${holder.server}"`,
    );
    return { ...request, publicName };
  });

  return { assignments, warnings, byPublic: new Map(assignments.map((assignment) => [assignment.publicName, assignment])) };
}

/** By server, then name, then prefix; plain code-unit order, independent of locale. */
function compareRequests(a: NameRequest, b: NameRequest): number {
  return compareStrings(a.server, b.server) || compareStrings(a.name, b.name) || compareStrings(a.prefix ?? '\0', b.prefix ?? '\0');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function intendedName(request: NameRequest, separator: string): string {
  const prefix = request.prefix ?? request.server;
  return prefix === '' ? request.name : `${prefix}${separator}${request.name}`;
}

/** Replace disallowed characters (one `_` per code point) and shorten to `maxLength`. */
function fitName(intended: string, maxLength: number): string {
  const sanitized = intended.replace(/[^a-zA-Z0-9_-]/gu, '_') || '_';
  if (sanitized.length <= maxLength) return sanitized;
  const hash = createHash('sha256').update(intended).digest('hex').slice(0, HASH_HEX_DIGITS);
  return `${sanitized.slice(0, maxLength - HASH_HEX_DIGITS - 1)}_${hash}`;
}

/** `<base>_2`, `<base>_3`, …: the first not taken, the base cut to keep within `maxLength`. */
function renamed(base: string, taken: ReadonlySet<string>, maxLength: number): string {
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const name = `${base.slice(0, maxLength - suffix.length)}${suffix}`;
    if (!taken.has(name)) return name;
  }
}
