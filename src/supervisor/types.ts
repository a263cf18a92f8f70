import type { Logger } from '../logger.js';
import type { Feed } from './feed.js';

export interface StartOptions {
  /** Config file; defaults to MCP_MANAGER_CONFIG, else the bundled config/default.yaml. */
  configFile?: string;
  /** State dir (control socket, lock, logs). Resolved by `resolveStateDir` when absent. */
  stateDir?: string;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Serve the gateway over Streamable HTTP (overrides `manager.http`); port 0 picks one. */
  http?: { host: string; port: number };
  /** Serve the gateway on this process's stdin/stdout (one client). */
  stdio?: boolean;
  /** Send the actors to Stately's inspector over WebSocket at this URL (`start --inspect`). Off by default. */
  inspect?: { url: string };
  /** The manager's log goes to `<state-dir>/logs/manager.log` and, unless false, to stderr. */
  logToStderr?: boolean;
}

export interface RunningManager {
  readonly stateDir: string;
  readonly socketPath: string;
  /** The gateway's Streamable HTTP URL, when it listens. */
  readonly gatewayUrl: string | undefined;
  /** Resolves when the manager has fully stopped (all servers stopped, socket closed). */
  readonly closed: Promise<void>;
  /** Stop every server in reverse start order, close the control socket, release the lock. */
  stop(reason?: string): Promise<void>;
  /** Every server instance's transitions, with their causes (views, metrics, history). */
  readonly feed: Feed;
}
