/** The programmatic API: start a manager in this process, and the public types. */
export { startManager } from './supervisor/start.js';
export type { RunningManager, StartOptions } from './supervisor/types.js';
export type { Config, ManagerConfig, ServerConfig } from './config/types.js';
export type { ServerState, ServerStatus, StatusSnapshot } from './control/types.js';
export { ManagerError, ConfigError, ServerExitError } from './errors.js';
export type { ErrorCode, ConfigIssue, ExitInfo } from './errors.js';
