/**
 * The gateway bound beyond loopback: refused without a bearer token (checked before any
 * server starts), and the Host header still checked, against the names this machine
 * answers to (its interface addresses and host name) plus the configured extras.
 */
import { hostname, networkInterfaces } from 'node:os';
import { ManagerError } from '../../errors.js';
import { isLoopbackHost, urlHost } from './guard.js';

/** Throws USAGE when `host` is beyond loopback and no token is set. */
export function assertBindAllowed(host: string, bearerToken: string | undefined): void {
  if (isLoopbackHost(host) || (bearerToken !== undefined && bearerToken !== '')) return;
  throw new ManagerError(
    'USAGE',
    `gateway http: refusing to listen on ${host} without a bearer token; bind a loopback address such as 127.0.0.1 or set MCP_MANAGER_TOKEN`,
    { data: { host } },
  );
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** Host names (without port) a non-loopback listener on `boundHost` is reached by. */
export function reachableNames(boundHost: string): string[] {
  const names = new Set<string>([urlHost(boundHost).toLowerCase(), hostname().toLowerCase()]);
  if (WILDCARDS.has(boundHost)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(urlHost(address.address).toLowerCase());
    }
  }
  for (const wildcard of WILDCARDS) names.delete(wildcard);
  return [...names];
}

/** `name:port` (and bare `name` on port 80) for each name. */
export function hostHeadersFor(names: readonly string[], port: number): string[] {
  return names.flatMap((name) => (port === 80 ? [`${name}:${port}`, name] : [`${name}:${port}`]));
}
