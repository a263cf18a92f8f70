/**
 * Words for what went wrong on the wire: a URL fit for messages (no credentials) and
 * a short reason for a network error (`connection refused`, `host not found`).
 */

/** The URL without user info, query values or fragment: safe for logs and status. */
export function displayUrl(url: URL): string {
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  shown.hash = '';
  const query = shown.search ? '?…' : '';
  shown.search = '';
  return `${shown.href}${query}`;
}

/**
 * Remove what may be secret from a message that came from elsewhere (an error that quotes
 * the request URL, a body that echoes a header): user info in any URL, the configured
 * URL's query, configured header values.
 */
export function scrubSecrets(text: string, secrets: { url: URL; headers: Record<string, string> }): string {
  let clean = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1');
  if (secrets.url.search.length > 1) clean = clean.split(secrets.url.search).join('?…');
  for (const value of Object.values(secrets.headers)) {
    if (value.length >= 4) clean = clean.split(value).join('[redacted]');
    const token = /^\S+\s+(\S{4,})$/.exec(value)?.[1];
    if (token) clean = clean.split(token).join('[redacted]');
  }
  return clean;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'host not found (DNS, temporary failure)',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

/** The first errno-style `code` in an error, its causes, or an AggregateError's errors. */
export function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined;
  const record = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof record.code === 'string' && record.code in REASONS) return record.code;
  const nested = [record.cause, ...(Array.isArray(record.errors) ? (record.errors as unknown[]) : [])];
  for (const inner of nested) {
    const code = errorCode(inner, depth + 1);
    if (code) return code;
  }
  return typeof record.code === 'string' ? record.code : undefined;
}

/** A short reason for a failed connection or request. */
export function networkReason(error: unknown): string {
  const code = errorCode(error);
  if (code && REASONS[code]) return REASONS[code];
  const deepest = innermost(error);
  const message = deepest instanceof Error ? deepest.message : String(deepest);
  return code ? `${message} (${code})` : message;
}

function innermost(error: unknown): unknown {
  let current = error;
  for (let n = 0; n < 5 && current instanceof Error && current.cause !== undefined; n++) current = current.cause;
  return current;
}

/** The media type of a content-type header, lower-cased, without parameters. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export { preview } from '../json-lines.js';
