/**
 * Which file form a document is, and its validation:
 * - `mcpServers` at the top level → Claude Desktop / `.mcp.json` form (other top-level keys,
 *   e.g. Claude Desktop's app settings, are ignored with a warning);
 * - JSON with `servers` and no `manager` → VS Code form;
 * - anything else → ours (`manager:` / `servers:`).
 */
import type { z } from 'zod';
import { ManagerFileSchema, McpServersFileSchema, VsCodeFileSchema, type ManagerEntry, type ServerEntry } from './schema.js';

export type FormName = 'manager' | 'mcpServers' | 'vscode';

export interface Form {
  name: FormName;
  /** Where the servers live at the top level. */
  serversKey: 'servers' | 'mcpServers';
  /** Top-level keys that are ignored (warning) rather than rejected. */
  ignoredKeys: string[];
}

const MCP_SERVERS_KEYS = new Set(['mcpServers', 'manager', '$schema']);

export function detectForm(value: Record<string, unknown>, isJson: boolean): Form {
  if ('mcpServers' in value) {
    return { name: 'mcpServers', serversKey: 'mcpServers', ignoredKeys: Object.keys(value).filter((k) => !MCP_SERVERS_KEYS.has(k)) };
  }
  if (isJson && 'servers' in value && !('manager' in value)) return { name: 'vscode', serversKey: 'servers', ignoredKeys: [] };
  return { name: 'manager', serversKey: 'servers', ignoredKeys: [] };
}

export type Validated =
  | { ok: true; manager: ManagerEntry | undefined; servers: Record<string, ServerEntry> }
  | { ok: false; issues: readonly z.core.$ZodIssue[] };

export function validateForm(form: FormName, value: unknown, error: z.core.$ZodErrorMap): Validated {
  switch (form) {
    case 'mcpServers': {
      const r = McpServersFileSchema.safeParse(value, { error, reportInput: true });
      return r.success ? { ok: true, manager: r.data.manager, servers: r.data.mcpServers } : { ok: false, issues: r.error.issues };
    }
    case 'vscode': {
      const r = VsCodeFileSchema.safeParse(value, { error, reportInput: true });
      return r.success ? { ok: true, manager: undefined, servers: r.data.servers } : { ok: false, issues: r.error.issues };
    }
    case 'manager': {
      const r = ManagerFileSchema.safeParse(value, { error, reportInput: true });
      return r.success ? { ok: true, manager: r.data.manager, servers: r.data.servers ?? {} } : { ok: false, issues: r.error.issues };
    }
  }
}
