/** The light fixture server (test/fixtures/servers/light-echo.c), compiled once per source change. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, type ServerCommand } from './servers.js';

export const LIGHT_ECHO_SOURCE = join(REPO_ROOT, 'test', 'fixtures', 'servers', 'light-echo.c');

/** Compile (with the machine's `cc`) unless an up-to-date binary is cached; return its command. */
export function lightEchoCommand(cacheDir = join(tmpdir(), 'mcp-manager-fixtures')): ServerCommand {
  const binary = join(cacheDir, 'light-echo');
  const fresh = existsSync(binary) && statSync(binary).mtimeMs >= statSync(LIGHT_ECHO_SOURCE).mtimeMs;
  if (!fresh) {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    execFileSync('cc', ['-O2', '-o', binary, LIGHT_ECHO_SOURCE], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return { command: binary, args: [] };
}
