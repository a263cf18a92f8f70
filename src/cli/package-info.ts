import { join, resolve } from 'node:path';
import { packageRoot } from '../package-info.js';

/** `--config`, else `MCP_MANAGER_CONFIG`, else the bundled `config/default.yaml`. Absolute. */
export function resolveConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (flag) return resolve(cwd, flag);
  if (env.MCP_MANAGER_CONFIG) return resolve(cwd, env.MCP_MANAGER_CONFIG);
  return join(packageRoot(), 'config', 'default.yaml');
}
