/**
 * `Mcp-Param-*` headers (SEP-2243) on the gateway's 2026-07-28 HTTP leg. The SDK's HTTP
 * entry checks a `tools/call`'s headers against its body (missing, malformed or
 * disagreeing: HTTP 400 and -32020) for a product that is an `McpServer`, reading the
 * tool's input schema from it. The gateway's tools are the catalog's, not registered
 * tools, so this `McpServer` answers that question from the catalog: the same checks,
 * against the schema the gateway lists for that tool. Its request handlers are the
 * gateway's own, on its low-level `server`.
 */
import { McpServer, type ServerOptions } from '@modelcontextprotocol/server';

export class CatalogMcpServer extends McpServer {
  constructor(
    serverInfo: { name: string; version: string },
    options: ServerOptions,
    private readonly inputSchemaOf: (tool: string) => Record<string, unknown> | undefined,
  ) {
    // no capabilities here: McpServer would install its own handlers for them
    const { capabilities, ...rest } = options;
    super(serverInfo, rest);
    if (capabilities) this.server.registerCapabilities(capabilities);
  }

  /** The input schema the gateway lists for a public tool name (the SDK's header check reads it). */
  override toolInputSchemaJson(name: string): Record<string, unknown> | undefined {
    return this.inputSchemaOf(name);
  }
}
