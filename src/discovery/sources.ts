/**
 * Where discovery looks, what each place is, and which one wins when two declare a server
 * of the same name.
 *
 * Precedence (first wins; the loser is reported in a warning naming both files):
 *   1. mcp-manager         our own YAML (`mcp-manager.yaml`, or any YAML file given explicitly)
 *   2. claude-code-project `.mcp.json` of the project (and any other `mcpServers` JSON given explicitly)
 *   3. vscode-workspace    `.vscode/mcp.json` of the project
 *   4. cursor-project      `.cursor/mcp.json` of the project
 *   5. package-json        `package.json` of the project (its `mcp` field or an MCP server `bin`)
 *   6. pyproject           `pyproject.toml` of the project (a script of a project depending on mcp/fastmcp)
 *   7. claude-code-local   `~/.claude.json` → `projects[<cwd>].mcpServers` (Claude Code, local scope)
 *   8. claude-code-user    `~/.claude.json` → `mcpServers` (Claude Code, user scope)
 *   9. claude-desktop      Claude Desktop's `claude_desktop_config.json`
 *  10. vscode-user         VS Code's user `mcp.json`
 *  11. cursor-user         `~/.cursor/mcp.json`
 * Project sources beat user-level ones: the project is what the user is working on. Between
 * two sources of the same kind, the one scanned first wins.
 */
import os from 'node:os';
import path from 'node:path';
import type { SourceKind } from './types.js';

export const SOURCE_PRECEDENCE: readonly SourceKind[] = [
  'mcp-manager',
  'claude-code-project',
  'vscode-workspace',
  'cursor-project',
  'package-json',
  'pyproject',
  'claude-code-local',
  'claude-code-user',
  'claude-desktop',
  'vscode-user',
  'cursor-user',
];

export function precedenceOf(kind: SourceKind): number {
  return SOURCE_PRECEDENCE.indexOf(kind);
}

/** Files looked for in a directory that is scanned, in this order. */
export const PROJECT_FILES = [
  'mcp-manager.yaml',
  'mcp-manager.yml',
  '.mcp.json',
  path.join('.vscode', 'mcp.json'),
  path.join('.cursor', 'mcp.json'),
  'package.json',
  'pyproject.toml',
] as const;

/** A path to scan; `optional` ones are skipped silently when they do not exist. */
export type ScanTarget = string | { path: string; optional?: boolean };

export function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || os.homedir();
}

/** Directories holding per-user application settings, by platform. */
function appConfigDirs(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const home = homeOf(env);
  if (platform === 'darwin') return [path.join(home, 'Library', 'Application Support')];
  if (platform === 'win32') return [env.APPDATA || path.join(home, 'AppData', 'Roaming')];
  return [env.XDG_CONFIG_HOME || path.join(home, '.config')];
}

/**
 * The project directory `cwd` and the user-level config files of Claude Desktop, Claude
 * Code, VS Code and Cursor for this platform (skipped when absent).
 */
export function defaultDiscoveryPaths(env: NodeJS.ProcessEnv, cwd: string, platform: NodeJS.Platform = process.platform): ScanTarget[] {
  const home = homeOf(env);
  const user = (file: string): ScanTarget => ({ path: file, optional: true });
  const [appDir = path.join(home, '.config')] = appConfigDirs(env, platform);
  return [
    path.resolve(cwd),
    user(path.join(appDir, 'Claude', 'claude_desktop_config.json')),
    user(path.join(home, '.claude.json')),
    user(path.join(appDir, 'Code', 'User', 'mcp.json')),
    user(path.join(home, '.cursor', 'mcp.json')),
  ];
}

const VSCODE_USER_DIRS = new Set(['Code', 'Code - Insiders', 'VSCodium', 'Code - OSS']);

/** What kind of source a file is, from its name and place. undefined: not a file discovery reads by name. */
export function classifyFile(file: string, home: string): SourceKind | undefined {
  const base = path.basename(file);
  const parent = path.basename(path.dirname(file));
  const grandParent = path.dirname(path.dirname(file));
  if (base === 'claude_desktop_config.json') return 'claude-desktop';
  if (base === '.claude.json') return 'claude-code-user';
  if (base === '.mcp.json') return 'claude-code-project';
  if (base === 'package.json') return 'package-json';
  if (base === 'pyproject.toml') return 'pyproject';
  if (base === 'mcp.json' && parent === '.vscode') return 'vscode-workspace';
  if (base === 'mcp.json' && parent === 'User' && VSCODE_USER_DIRS.has(path.basename(grandParent))) return 'vscode-user';
  if (base === 'mcp.json' && parent === '.cursor') return samePath(grandParent, home) ? 'cursor-user' : 'cursor-project';
  if (/\.ya?ml$/i.test(base)) return 'mcp-manager';
  return undefined;
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/** The project directory a project-level file belongs to (`.vscode/mcp.json` → its parent's parent). */
export function projectDirOf(file: string): string {
  const dir = path.dirname(file);
  const base = path.basename(dir);
  return base === '.vscode' || base === '.cursor' ? path.dirname(dir) : dir;
}
