/** Guess what kind of program a server is from its command (the file's `server_type` wins). */
import path from 'node:path';
import type { ConnectionType, ServerType } from './types.js';

const BY_COMMAND: Record<string, ServerType> = {
  python: 'python',
  python3: 'python',
  uv: 'python',
  uvx: 'python',
  pipx: 'python',
  poetry: 'python',
  node: 'node',
  npx: 'node',
  npm: 'node',
  pnpm: 'node',
  yarn: 'node',
  bun: 'node',
  bunx: 'node',
  deno: 'node',
  tsx: 'node',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  dash: 'shell',
  go: 'go',
  cargo: 'rust',
};

const BY_EXTENSION: Record<string, ServerType> = {
  '.py': 'python',
  '.js': 'node',
  '.mjs': 'node',
  '.cjs': 'node',
  '.ts': 'node',
  '.sh': 'shell',
};

export function detectServerType(connectionType: ConnectionType, command: string | undefined): ServerType {
  if (connectionType !== 'stdio') return 'remote';
  if (command === undefined) return 'unknown';
  const base = path
    .basename(command)
    .toLowerCase()
    .replace(/\.exe$/, '');
  const byName = BY_COMMAND[base] ?? (/^python3(\.\d+)?$/.test(base) ? 'python' : undefined);
  return byName ?? BY_EXTENSION[path.extname(base)] ?? (command.includes('/') ? 'binary' : 'unknown');
}
