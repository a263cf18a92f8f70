import type { Logger } from '../../logger.js';
import type { RunnerOptions } from './options.js';
import type { RunRegistry } from './runs.js';
import type { StateStore } from './state.js';

/** What every tool handler receives; built once in server.ts. */
export interface RunnerContext {
  options: RunnerOptions;
  state: StateStore;
  runs: RunRegistry;
  logger: Logger;
  /** Projects already looked at by this process (stale entries are logged on first access). */
  seenProjects: Set<string>;
}

/** Per-call facilities, independent of the SDK's handler types. */
export interface CallContext {
  /** Aborted when the client cancels the request. */
  signal: AbortSignal;
  /** Present when the client asked for progress (sent a progressToken). */
  reportProgress?: (progress: number, total: number, message: string) => Promise<void>;
}
