/**
 * Read-only views of what the gateway serves, for the control API (`capabilities`), and
 * tool calls from the CLI (`call`) through the same routing as a client's.
 */
import type { ServerCapabilitiesEntry, ToolCallResult } from '../control/types.js';
import { ManagerError } from '../errors.js';
import type { Session } from '../server-actor/session.js';
import type { Gateway } from './gateway.js';

export function capabilitiesOf(gw: Gateway, server: string, state: ServerCapabilitiesEntry['state'], session: Session | undefined): ServerCapabilitiesEntry {
  const catalog = session?.catalog;
  return {
    name: server,
    state,
    serverInfo: session?.serverInfo ? { name: session.serverInfo.name, version: session.serverInfo.version } : null,
    protocolCapabilities: session?.capabilities ?? {},
    tools: (catalog?.tools ?? []).map((t) => ({
      name: t.name,
      publicName: gw.catalog.publicToolName(server, t.name) ?? null,
      ...(t.description === undefined ? {} : { description: t.description }),
      readOnly: t.annotations?.readOnlyHint === true,
    })),
    prompts: (catalog?.prompts ?? []).map((p) => ({ name: p.name, publicName: gw.catalog.publicPromptName(server, p.name) ?? null })),
    resources: (catalog?.resources ?? []).map((r) => ({ uri: r.uri, name: r.name })),
    resourceTemplates: (catalog?.resourceTemplates ?? []).map((t) => ({ uriTemplate: t.uriTemplate, name: t.name })),
  };
}

/** Call a server's tool by its own name, routed like a client's call (balancing, queue, limits). */
export async function callServerTool(gw: Gateway, server: string, tool: string, args: Record<string, unknown>): Promise<ToolCallResult> {
  if (!gw.configOf(server)) throw new ManagerError('SERVER_NOT_FOUND', `no server named "${server}"`, { data: { server } });
  const lease = await gw.dispatcher.acquire(server);
  try {
    if (!lease.session.catalog.tools.some((t) => t.name === tool)) {
      throw new ManagerError('TOOL_NOT_FOUND', `server "${server}" has no tool "${tool}"`, { data: { server, tool } });
    }
    return await lease.session.client.request({ method: 'tools/call', params: { name: tool, arguments: args } });
  } finally {
    gw.dispatcher.release(lease);
  }
}
