import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. Brackets around IPv6 are accepted. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  const family = isIP(lower);
  if (family === 4) return lower.startsWith('127.');
  if (family === 6) {
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && mapped[1] !== undefined && mapped[1].startsWith('127.');
  }
  return false;
}

/** `host` as it appears in a URL or Host header: IPv6 in brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Host header values accepted on a loopback listener: loopback names with the port, plus extras. */
export function allowedHostHeaders(boundHost: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', urlHost(boundHost).toLowerCase()]);
  const allowed = new Set<string>();
  for (const name of names) {
    allowed.add(`${name}:${port}`);
    if (port === 80) allowed.add(name);
  }
  for (const value of extra) allowed.add(value.toLowerCase());
  return allowed;
}

/**
 * Decides whether an `Origin` header may talk to the gateway: loopback origins and the
 * configured extras. Decisions are memoized (browsers send the same few origins).
 */
export function originPolicy(extra: readonly string[] = []): (origin: string) => boolean {
  const allowed = new Set(extra.map(normalizeOrigin));
  const memo = new Map<string, boolean>();
  return (origin) => {
    const known = memo.get(origin);
    if (known !== undefined) return known;
    const verdict = allowed.has(normalizeOrigin(origin)) || isLoopbackOrigin(origin);
    if (memo.size >= 256) memo.clear();
    memo.set(origin, verdict);
    return verdict;
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin "null"
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
}

/** Constant-time check of `Authorization: Bearer <token>` (digests make the lengths equal). */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    if (authorization === undefined) return false;
    const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match?.[1] === undefined) return false;
    return timingSafeEqual(digest(match[1]), expected);
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
