/**
 * The bundled catalog of known MCP servers (`config/mcp-servers.json`, `mcpServers` form):
 * each entry with what it needs to run: variables (`${VAR}` without a default must be set),
 * the network, and the package runner that fetches it on first use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ManagerError } from '../errors.js';
import { parseTemplate } from './interpolate.js';
import { isRecord } from './path.js';

export interface CatalogNeeds {
  /** Variables that must be set (placeholders without a default). */
  env: string[];
  /** Variables with a default that may be set. */
  optionalEnv: string[];
  /** Talks to a service on the network (remote URL, web API or key-based service). */
  network: boolean;
  /** `npx`/`uvx`: downloads the server on first start. */
  runner: string | null;
}

export interface CatalogEntry {
  name: string;
  description: string;
  tags: string[];
  /** The entry as written in the catalog (snake_case keys). */
  entry: Record<string, unknown>;
  needs: CatalogNeeds;
}

export function catalogFileOf(packageRoot: string): string {
  return path.join(packageRoot, 'config', 'mcp-servers.json');
}

export function readCatalog(file: string): CatalogEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ManagerError('CONFIG_INVALID', `cannot read the server catalog ${file}: ${(error as Error).message}`, { cause: error });
  }
  const servers = isRecord(value) ? value.mcpServers : undefined;
  if (!isRecord(servers)) throw new ManagerError('CONFIG_INVALID', `the server catalog ${file} has no "mcpServers" mapping`);
  return Object.entries(servers)
    .filter(([, e]) => isRecord(e))
    .map(([name, e]) => describeEntry(name, e as Record<string, unknown>));
}

function describeEntry(name: string, entry: Record<string, unknown>): CatalogEntry {
  const tags = Array.isArray(entry.tags) ? entry.tags.filter((t): t is string => typeof t === 'string') : [];
  const { required, optional } = placeholdersIn(entry);
  const command = typeof entry.command === 'string' ? path.basename(entry.command) : undefined;
  return {
    name,
    description: typeof entry.description === 'string' ? entry.description : '',
    tags,
    entry,
    needs: {
      env: required,
      optionalEnv: optional.filter((v) => !required.includes(v)),
      network: typeof entry.url === 'string' || tags.some((t) => t === 'needs-network' || t === 'needs-key' || t === 'remote'),
      runner: command === 'npx' || command === 'uvx' ? command : null,
    },
  };
}

/** Variables named by `${VAR}` placeholders anywhere in the entry, with and without defaults. */
export function placeholdersIn(value: unknown): { required: string[]; optional: string[] } {
  const required = new Set<string>();
  const optional = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      const parts = parseTemplate(v);
      if (typeof parts === 'string') return;
      for (const part of parts) {
        if (typeof part === 'string') continue;
        const name = part.name.replace(/^env:/, '');
        (part.fallback ? optional : required).add(name);
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isRecord(v)) Object.values(v).forEach(walk);
  };
  walk(value);
  return { required: [...required], optional: [...optional] };
}

/** Entries whose name, description or tags contain every word of `query` (case-insensitive). */
export function searchCatalog(entries: readonly CatalogEntry[], query: string | undefined): CatalogEntry[] {
  const words = (query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...entries];
  return entries.filter((e) => {
    const hay = [e.name, e.description, ...e.tags].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** The catalog entry as a server entry for a config: enabled, without the catalog's own tag. */
export function entryFromCatalog(found: CatalogEntry): Record<string, unknown> {
  const { enabled: _enabled, disabled: _disabled, ...rest } = found.entry;
  const tags = found.tags.filter((t) => t !== 'catalog');
  const entry: Record<string, unknown> = { ...rest };
  if (tags.length > 0) entry.tags = tags;
  else delete entry.tags;
  return entry;
}
