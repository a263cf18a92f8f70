/**
 * What `server/discover` says about the gateway: the capabilities the catalog can serve
 * right now (from the backends that are up), and instructions built from the backends'
 * own. Both can change without notice, so results carry the default cache hints (ttl 0).
 */
import type { ServerCapabilities } from '@modelcontextprotocol/server';

/** The part of a backend session this needs. */
export interface BackendView {
  readonly server: string;
  readonly capabilities: ServerCapabilities;
  readonly client: { getInstructions(): string | undefined };
}

/** Tools always (the catalog may gain some any time); the rest when some backend offers them. */
export function aggregateCapabilities(backends: readonly BackendView[]): ServerCapabilities {
  const capabilities: ServerCapabilities = { tools: { listChanged: true } };
  if (backends.some((b) => b.capabilities.prompts)) capabilities.prompts = { listChanged: true };
  if (backends.some((b) => b.capabilities.resources)) {
    capabilities.resources = {
      listChanged: true,
      ...(backends.some((b) => b.capabilities.resources?.subscribe) ? { subscribe: true } : {}),
    };
  }
  if (backends.some((b) => b.capabilities.completions)) capabilities.completions = {};
  if (backends.some((b) => b.capabilities.logging)) capabilities.logging = {};
  return capabilities;
}

/** One paragraph per server that gave instructions, under its name; undefined when none did. */
export function aggregateInstructions(backends: readonly BackendView[]): string | undefined {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const backend of backends) {
    if (seen.has(backend.server)) continue;
    const text = backend.client.getInstructions()?.trim();
    if (!text) continue;
    seen.add(backend.server);
    parts.push(`## ${backend.server}\n${text}`);
  }
  return parts.length === 0 ? undefined : parts.join('\n\n');
}

/** Which capability each optional method family needs. */
const FAMILY: Record<string, keyof ServerCapabilities> = {
  'prompts/list': 'prompts',
  'prompts/get': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resources',
  'resources/read': 'resources',
  'resources/subscribe': 'resources',
  'resources/unsubscribe': 'resources',
  'completion/complete': 'completions',
  'logging/setLevel': 'logging',
};

/**
 * The server as the handler registration sees it: handlers of families the server does
 * not offer are left out (the SDK refuses them), so a server built with the aggregate
 * capabilities takes the same registration as one offering everything.
 */
export function offeredOnly<S extends { getCapabilities(): ServerCapabilities; setRequestHandler: (...args: never[]) => unknown }>(
  server: S,
): S {
  const offered = server.getCapabilities();
  return new Proxy(server, {
    get(target, property) {
      if (property !== 'setRequestHandler') return Reflect.get(target, property, target) as unknown;
      return (method: string, ...rest: unknown[]) => {
        const family = FAMILY[method];
        if (family !== undefined && offered[family] === undefined) return;
        return (target.setRequestHandler as (...args: unknown[]) => unknown).call(target, method, ...rest);
      };
    },
  });
}
