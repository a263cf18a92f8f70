/**
 * The `mcpServers` JSON form: Claude Desktop's `claude_desktop_config.json`, Claude Code's
 * project `.mcp.json` and user `~/.claude.json`, Cursor's `.cursor/mcp.json` (project or
 * user). Read by the config loader. In the two application settings files (Claude Desktop,
 * `~/.claude.json`) only the servers are read; their other settings are not ours to judge.
 * `~/.claude.json` holds user-scope servers (`mcpServers`) and local-scope ones per project
 * (`projects["<dir>"].mcpServers`, read for the directory discovery runs in).
 */
import path from 'node:path';
import { readWithLoader, type LoaderReadOptions } from '../from-loader.js';
import { classifyFile, projectDirOf } from '../sources.js';
import type { FormatModule, FormatResult, ReadContext, SourceKind } from '../types.js';
import { emptyResult, finish } from './common.js';

const NAMES = new Set(['.mcp.json', 'claude_desktop_config.json', '.claude.json']);

export const mcpServersFormat: FormatModule = {
  format: 'mcp-servers',
  detect: (file) =>
    NAMES.has(path.basename(file)) || (path.basename(file) === 'mcp.json' && path.basename(path.dirname(file)) === '.cursor'),
  async read(file, text, context) {
    const kind = classifyFile(file, context.home) ?? 'claude-code-project';
    if (path.basename(file) === '.claude.json') {
      const local = await readPart(file, text, context, 'claude-code-local', {
        only: ['projects', path.resolve(context.cwd), 'mcpServers'],
      });
      const user = await readPart(file, text, context, 'claude-code-user', { only: ['mcpServers'] });
      return {
        servers: [...local.servers, ...user.servers],
        issues: [...local.issues, ...user.issues],
        warnings: [...local.warnings, ...user.warnings],
      };
    }
    return readPart(file, text, context, kind, kind === 'claude-desktop' ? { only: ['mcpServers'] } : {});
  },
};

async function readPart(
  file: string,
  text: string,
  context: ReadContext,
  kind: SourceKind,
  options: Omit<LoaderReadOptions, 'env'>,
): Promise<FormatResult> {
  const read = readWithLoader(file, text, { ...options, env: context.env });
  const result = emptyResult();
  result.issues.push(...read.issues);
  result.warnings.push(...read.warnings);
  for (const entry of read.entries) {
    // Cursor runs a project's servers in the project directory, not in `.cursor/`
    if (kind === 'cursor-project' && entry.config.connectionType === 'stdio' && !('cwd' in entry.raw)) {
      entry.config = { ...entry.config, cwd: projectDirOf(file) };
    }
    result.servers.push(await finish(entry, file, 'mcp-servers', kind, context));
  }
  return result;
}
