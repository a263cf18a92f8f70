/** The format modules, and which one reads a given file. */
import path from 'node:path';
import { stripJsonComments } from '../../config/jsonc.js';
import { isRecord } from '../../config/path.js';
import type { FormatModule } from '../types.js';
import { mcpManagerFormat } from './mcp-manager.js';
import { mcpServersFormat } from './mcp-servers.js';
import { packageJsonFormat } from './package-json.js';
import { pyprojectFormat } from './pyproject.js';
import { vscodeFormat } from './vscode.js';

export { mcpManagerFormat, mcpServersFormat, packageJsonFormat, pyprojectFormat, vscodeFormat };

/** In order of detection: VS Code's `mcp.json` before the generic JSON forms. */
export const FORMATS: readonly FormatModule[] = [vscodeFormat, mcpServersFormat, packageJsonFormat, pyprojectFormat, mcpManagerFormat];

/**
 * The module for `file`: by name and place; any other `.json`/`.jsonc` file by its content
 * (`mcpServers` → that form; `manager` → ours; `servers` → VS Code's). undefined: not a config discovery can read.
 */
export function formatFor(file: string, text?: string): FormatModule | undefined {
  const byName = FORMATS.find((f) => f.detect(file));
  if (byName) return byName;
  if (!/\.jsonc?$/i.test(path.basename(file))) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(stripJsonComments(text ?? ''));
  } catch {
    return mcpServersFormat; // the loader reports the syntax error with its position
  }
  if (!isRecord(value) || 'mcpServers' in value) return mcpServersFormat;
  if ('manager' in value) return mcpManagerFormat;
  return 'servers' in value ? vscodeFormat : mcpServersFormat;
}
