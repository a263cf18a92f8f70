/**
 * The one redaction function. Every printer, the logger and every captured stderr line
 * pass through `redact`: it removes the secret values the process knows (configured env
 * and header values, registered with `registerSecrets`) and anything credential-shaped
 * (URL user info, token query parameters, `--token=…`/`--api-key …` arguments,
 * `Authorization: Bearer …`, well-known key prefixes such as `sk-` or `ghp_`).
 */

export const REDACTED = '[redacted]';

/** Env/header names whose values are secret whatever they look like. */
const SECRET_NAME =
  /(token|secret|passw(or)?d|pass|pwd|api[-_]?key|apikey|auth|credential|private[-_]?key|session|cookie|signature|access[-_]?key|\bpat\b|_pat$|^pat_)/i;

/** Values shorter than this are never treated as secrets on their own (they would match everywhere). */
const MIN_SECRET_LENGTH = 4;
/** Other configured values are redacted only when at least this long and not path- or number-like. */
const MIN_PLAIN_LENGTH = 8;

/** Secret values known to this process; grows with every config read (bounded). */
const known = new Set<string>();
const MAX_KNOWN = 10_000;
let pattern: RegExp | undefined;

/** True when `name` (an env variable or header name) says its value is a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * Remember secret values so `redact` removes them wherever they appear. `values` maps
 * names (env variable or header names) to values: secret-named ones always count, others
 * when long and neither a path, a URL without credentials nor a number.
 */
export function registerSecrets(values: Record<string, string> | undefined): void {
  if (values === undefined) return;
  let changed = false;
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string' || known.size >= MAX_KNOWN) continue;
    const candidates = [value, ...bearerParts(value)];
    for (const candidate of candidates) {
      if (!isSecretValue(name, candidate) || known.has(candidate)) continue;
      known.add(candidate);
      // the same value as it appears inside a JSON string
      const escaped = JSON.stringify(candidate).slice(1, -1);
      if (escaped !== candidate) known.add(escaped);
      changed = true;
    }
  }
  if (changed) pattern = undefined;
}

/** Register the env and header values of server configs (anything with `env`/`headers`). */
export function registerServerSecrets(servers: Iterable<{ env?: Record<string, string>; headers?: Record<string, string> }>): void {
  for (const server of servers) {
    registerSecrets(server.env);
    registerSecrets(server.headers);
  }
}

/** Forget every registered value (tests). */
export function clearSecrets(): void {
  known.clear();
  pattern = undefined;
}

function isSecretValue(name: string, value: string): boolean {
  if (value.length < MIN_SECRET_LENGTH) return false;
  if (isSecretName(name)) return true;
  if (value.length < MIN_PLAIN_LENGTH) return false;
  if (/^[-+]?\d+(\.\d+)?$/.test(value) || /^(true|false|yes|no|on|off)$/i.test(value)) return false;
  if (/^[~./]/.test(value) || /^[A-Za-z]:\\/.test(value)) return false;
  if (/^[a-z][a-z0-9+.-]*:\/\/[^@\s]*$/i.test(value) && !/[?&]/.test(value)) return false;
  // words with spaces, plain lowercase names, paths lists: configuration, not keys
  if (/\s/.test(value) || /^[a-z_-]+$/.test(value) || value.includes(':/')) return false;
  return true;
}

/** `Bearer abc`, `token abc`: the credential part too. */
function bearerParts(value: string): string[] {
  const match = /^\S+\s+(\S{4,})$/.exec(value);
  return match?.[1] ? [match[1]] : [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function knownPattern(): RegExp | undefined {
  if (known.size === 0) return undefined;
  // longest first, so a value containing another is removed whole
  pattern ??= new RegExp(
    [...known]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'g',
  );
  return pattern;
}

const FLAG_NAMES = 'token|api[-_]?key|apikey|access[-_]?token|auth[-_]?token|auth|password|passwd|secret|client[-_]?secret|bearer|key|pat';
/** A shape: what it matches, its replacement, and a cheap test a line must pass before the shape is tried. */
type Shape = readonly [shape: RegExp, replacement: string, worthTrying?: (text: string) => boolean];
const ASSIGNED_NAME = /TOKEN|SECRET|PASSW|API_?KEY|ACCESS_?KEY/i;
/**
 * Credential-shaped text, in the order applied. Each keeps its first group and hides the rest.
 * Every shape is linear in the text: starts are anchored at a boundary and every name-like run
 * is bounded, so a line made of one long token costs no more than an ordinary one.
 */
const SHAPES: readonly Shape[] = [
  // user info in any URL: scheme://user:pass@host (a scheme starts after a non-scheme character)
  [/((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi, `$1${REDACTED}@`, (text) => text.includes('://')],
  // token-like query parameters
  [
    /([?&](?:access[-_]?token|token|api[-_]?key|apikey|key|secret|client[-_]?secret|password|auth|sig|signature|code)=)[^&#\s"'<>]+/gi,
    `$1${REDACTED}`,
  ],
  // --token=V, --api-key V, and the same inside a JSON array ("--token", "V")
  [
    new RegExp(`((?:^|[\\s"'\\[,])--?(?:${FLAG_NAMES})(?:=|[ \\t]+|"[ \\t]*,[ \\t]*"))(?!\\[redacted\\])[^\\s"',\\]]+`, 'gi'),
    `$1${REDACTED}`,
  ],
  // Authorization: Bearer V / Basic V
  [/(\b(?:bearer|basic)[ \t]+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
  // NAME_TOKEN=V, "api_key": "V" style assignments in free text (names bounded in length)
  [
    /(\b[A-Za-z0-9_]{0,64}(?:TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY)[A-Za-z0-9_]{0,64}"?\s*[=:]\s*"?)(?!\[redacted\])(?![\d.]+\b)[^\s"',;&]{4,}/gi,
    `$1${REDACTED}`,
    (text) => ASSIGNED_NAME.test(text),
  ],
  // well-known key shapes
  [/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{12,}/g, REDACTED],
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, REDACTED],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bAKIA[0-9A-Z]{16}\b/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
];

/** Text longer than this is redacted in pieces (bounded regex work per call). */
const CHUNK = 1 << 20;

/** The text with every known secret and credential-shaped part replaced by `[redacted]`. */
export function redact(text: string): string {
  if (text.length === 0) return text;
  if (text.length > CHUNK) {
    let out = '';
    for (let i = 0; i < text.length; i += CHUNK) out += redact(text.slice(i, i + CHUNK));
    return out;
  }
  let clean = text;
  const values = knownPattern();
  if (values) clean = clean.replace(values, REDACTED);
  for (const [shape, replacement, worthTrying] of SHAPES) if (worthTrying?.(clean) ?? true) clean = clean.replace(shape, replacement);
  return clean;
}

/** Redact each argument of a command line, including the value after `--token`-like flags. */
export function redactArgs(args: readonly string[]): string[] {
  const flag = new RegExp(`^--?(?:${FLAG_NAMES})$`, 'i');
  return args.map((arg, i) => (i > 0 && flag.test(args[i - 1] ?? '') ? REDACTED : redact(arg)));
}
