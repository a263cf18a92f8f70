/**
 * Where each MCP client keeps its server list, per platform, and in which shape:
 * Claude Desktop and Cursor `mcpServers`, Claude Code `mcpServers` in `~/.claude.json`
 * (user scope) or `.mcp.json` (project), VS Code `servers` in its user `mcp.json`.
 */
import path from 'node:path';
import { homeOf } from './sources.js';

export const CLIENTS = ['claude-desktop', 'claude-code', 'vscode', 'cursor'] as const;
export type Client = (typeof CLIENTS)[number];

export function isClient(value: string): value is Client {
  return (CLIENTS as readonly string[]).includes(value);
}

export interface ClientConfigFile {
  client: Client;
  file: string;
  /** The key holding the servers. */
  key: 'mcpServers' | 'servers';
}

function appDataDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  const home = homeOf(env);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support');
  if (platform === 'win32') return env.APPDATA || path.join(home, 'AppData', 'Roaming');
  return env.XDG_CONFIG_HOME || path.join(home, '.config');
}

/** The client's user-level config file (`project`: Claude Code's `.mcp.json` in `cwd`). */
export function clientConfigFile(
  client: Client,
  env: NodeJS.ProcessEnv,
  options: { platform?: NodeJS.Platform; cwd?: string; project?: boolean } = {},
): ClientConfigFile {
  const platform = options.platform ?? process.platform;
  const home = homeOf(env);
  const join = (...parts: string[]): string => (platform === 'win32' ? path.win32.join(...parts) : path.join(...parts));
  switch (client) {
    case 'claude-desktop':
      return { client, file: join(appDataDir(env, platform), 'Claude', 'claude_desktop_config.json'), key: 'mcpServers' };
    case 'claude-code':
      return options.project
        ? { client, file: path.join(options.cwd ?? process.cwd(), '.mcp.json'), key: 'mcpServers' }
        : { client, file: join(home, '.claude.json'), key: 'mcpServers' };
    case 'vscode':
      return { client, file: join(appDataDir(env, platform), 'Code', 'User', 'mcp.json'), key: 'servers' };
    case 'cursor':
      return { client, file: join(home, '.cursor', 'mcp.json'), key: 'mcpServers' };
  }
}
