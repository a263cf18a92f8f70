/**
 * `roots/list` asked by a backend outside any client call (at start, after
 * `notifications/roots/list_changed`): answered with the union of the roots of every
 * connected client that offers them. No client, or none offering roots: an empty list,
 * never an error (the gateway tells every backend it serves roots).
 */
import type { Root } from '@modelcontextprotocol/server';
import type { ClientSession } from './gateway.js';

/** How long one client may take to list its roots before it is left out of the union. */
export const CLIENT_ROOTS_TIMEOUT_MS = 5_000;

/** What a client transport may tell of its reach (the HTTP session transport does). */
export interface ReachableTransport {
  /** false: a request outside a call would be dropped (no standalone SSE stream yet). */
  hasStandaloneStream?: boolean;
  onstreamopen?: () => void;
}

/** The client offers roots and a request outside a call can reach it. */
export function canAskRoots(client: ClientSession): boolean {
  const transport = client.server.transport as ReachableTransport | undefined;
  if (transport === undefined || client.server.getClientCapabilities()?.roots === undefined) return false;
  return transport.hasStandaloneStream !== false;
}

export async function unionOfRoots(clients: Iterable<ClientSession>, signal: AbortSignal): Promise<{ roots: Root[] }> {
  const offering = [...clients].filter(canAskRoots);
  const lists = await Promise.all(
    offering.map((c) =>
      c.server
        .listRoots(undefined, { signal: AbortSignal.any([signal, AbortSignal.timeout(CLIENT_ROOTS_TIMEOUT_MS)]) })
        .then((r) => r.roots)
        // a client that cannot answer just contributes nothing
        .catch(() => [] as Root[]),
    ),
  );
  const byUri = new Map<string, Root>();
  for (const root of lists.flat()) if (!byUri.has(root.uri)) byUri.set(root.uri, root);
  return { roots: [...byUri.values()] };
}
