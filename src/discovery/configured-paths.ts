/**
 * The folders a config names under `manager.discovery.paths` (absolute, resolved against
 * the config file's directory), for `discover` to scan besides the well-known places. A
 * config that does not load adds its issues and no paths: discovery goes on without them.
 */
import { readConfig } from '../config/load.js';
import type { ConfigIssue } from '../errors.js';

export async function configuredDiscoveryPaths(file: string, env: NodeJS.ProcessEnv): Promise<{ paths: string[]; issues: ConfigIssue[] }> {
  const result = await readConfig(file, { env });
  if (!result.ok) return { paths: [], issues: result.issues };
  return { paths: result.config.manager.discovery?.paths ?? [], issues: [] };
}
