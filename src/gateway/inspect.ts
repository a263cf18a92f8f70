/**
 * Read-only views of what the gateway serves, for the control API (`capabilities`).
 */
import type { ServerCapabilitiesEntry } from '../control/types.js';
import type { Session } from '../server-actor/session.js';
import type { Gateway } from './gateway.js';

export function capabilitiesOf(
  gw: Gateway,
  server: string,
  state: ServerCapabilitiesEntry['state'],
  session: Session | undefined,
): ServerCapabilitiesEntry {
  const catalog = session?.catalog;
  return {
    name: server,
    state,
    serverInfo: session?.serverInfo ? { name: session.serverInfo.name, version: session.serverInfo.version } : null,
    protocolCapabilities: session?.capabilities ?? {},
    era: session?.client.getProtocolEra() ?? null,
    offered: gw.configOf(server)?.clientCapabilities ?? { sampling: false, elicitation: false, roots: false },
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
