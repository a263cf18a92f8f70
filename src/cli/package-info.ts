import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest directory above this module holding package.json.
 * Works from `src/cli/` (tsx) and from `dist/src/cli/` (built) alike.
 */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(here, '..', '..');
  }
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `--config`, else `MCP_MANAGER_CONFIG`, else the bundled `config/default.yaml`. Absolute. */
export function resolveConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (flag) return resolve(cwd, flag);
  if (env.MCP_MANAGER_CONFIG) return resolve(cwd, env.MCP_MANAGER_CONFIG);
  return join(packageRoot(), 'config', 'default.yaml');
}
