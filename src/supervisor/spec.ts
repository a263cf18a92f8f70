import type { ServerSpec } from '../../machines/events.js';
import type { ServerConfig } from '../config/types.js';

/** What the supervisor chart needs of a server config (the rest stays with the launcher). */
export function specOf(config: ServerConfig): ServerSpec {
  return {
    name: config.name,
    enabled: config.enabled,
    replicas: config.replicas,
    restart: config.restart,
    backoff: { ...config.backoff },
    maxRestarts: config.maxRestarts,
    restartWindowMs: config.restartWindowMs,
    startupTimeoutMs: config.startupTimeoutMs,
    stopGraceMs: config.stopGraceMs,
    stopTimeoutMs: config.stopTimeoutMs,
    health: { downAfter: config.healthDownAfter, upAfter: config.healthUpAfter, criticalGraceMs: config.criticalGraceMs },
    drainTimeoutMs: config.drainTimeoutMs,
    // launch-relevant fields: a change to any of them must restart the server
    launch: {
      command: config.command ?? null,
      args: config.args,
      env: config.env,
      inheritEnv: config.inheritEnv,
      cwd: config.cwd ?? null,
      url: config.url ?? null,
      headers: config.headers,
      connectionType: config.connectionType,
    },
  };
}
