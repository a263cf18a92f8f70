/** Shared steps of the format modules: finishing a server, synthetic entries, small helpers. */
import { parseConfigText } from '../../config/load.js';
import { SERVER_NAME } from '../../config/schema.js';
import type { ServerConfig } from '../../config/types.js';
import type { ConfigIssue } from '../../errors.js';
import { detectDiscoveredType } from '../server-type.js';
import type { DiscoveredServer, DiscoveryFormat, FormatResult, ReadContext, SourceKind } from '../types.js';

export function emptyResult(): FormatResult {
  return { servers: [], issues: [], warnings: [] };
}

export interface Placed {
  name: string;
  config: ServerConfig;
  /** The entry as written; `server_type` in it is taken as is. */
  raw?: Record<string, unknown>;
  line?: number;
  column?: number;
}

/** The DiscoveredServer for a loaded entry: source attached, server type from command and files. */
export async function finish(
  entry: Placed,
  file: string,
  format: DiscoveryFormat,
  kind: SourceKind,
  context: ReadContext,
): Promise<DiscoveredServer> {
  const explicit = entry.raw !== undefined && 'server_type' in entry.raw;
  const serverType = await detectDiscoveredType(entry.config, explicit, context);
  return {
    name: entry.name,
    config: { ...entry.config, serverType },
    serverType,
    source: { file, ...(entry.line === undefined ? {} : { line: entry.line, column: entry.column ?? 1 }), format, kind },
  };
}

/**
 * A server entry built by discovery (from package.json or pyproject.toml), run through the
 * loader as an `mcpServers` entry of `file` so it gets the same validation, `${VAR}`
 * expansion and defaults. Issues are placed at `at` (the key that declared the server).
 */
export function synthesize(
  file: string,
  name: string,
  entry: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  at: { line?: number; column?: number; path: string },
): { ok: true; config: ServerConfig } | { ok: false; issues: ConfigIssue[] } {
  const json = `${JSON.stringify({ mcpServers: { [name]: entry } })}\n`;
  const result = parseConfigText(json, `${file}.json`, { env });
  if (result.ok) {
    const config = result.config.servers[0];
    if (config) return { ok: true, config };
  }
  const issues = result.ok ? [] : result.issues;
  return {
    ok: false,
    issues: issues.map((issue) => ({
      file,
      path: at.path,
      ...(at.line === undefined ? {} : { line: at.line, column: at.column ?? 1 }),
      message: `${issue.path.replace(/^mcpServers\.?/, '') || name}: ${issue.message}`,
    })),
  };
}

/** A valid server name from a package or script name (`@acme/weather-mcp` → `weather-mcp`). */
export function serverNameFrom(raw: string): string {
  const base = raw.replace(/^@[^/]+\//, '');
  const cleaned = base
    .replace(/[^a-zA-Z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return SERVER_NAME.test(cleaned) ? cleaned : 'server';
}
