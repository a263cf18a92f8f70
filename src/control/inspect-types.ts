/**
 * `inspect` over the control API (`GET /inspect[?name=NAME]`): the JSON that
 * `mcp-manager inspect --json` prints. Stable: fields are only ever added.
 */
import type { Chart } from '../statechart/chart.js';
import type { Transition } from './transitions.js';

export interface InspectInstanceSummary {
  instance: string;
  server: string;
  /** Public state (DESIGN §3 names). */
  state: string;
  /** The machine's full state value, e.g. `{ "running": "healthy" }`. */
  value: unknown;
  pid: number | null;
  restarts: number;
}

export interface InspectContext {
  pid: number | null;
  /** Restarts over the instance's life (manual ones excluded). */
  restarts: number;
  /** Restarts still inside `limits.restartWindowMs`; at `limits.maxRestarts` the next failure is `failed`. */
  restartsInWindow: number;
  /** While restarting: the delay chosen; otherwise the next restart's delay before jitter (0: at once). */
  nextBackoffMs: number;
  lastExit: { exitCode: number | null; signal: string | null } | null;
  lastError: { code: string; message: string; stderrTail: string[] } | null;
  /** Consecutive good and bad health results, and the streaks that move a tier. */
  health: { good: number; bad: number; downAfter: number; upAfter: number };
  /** ms since the current process came up, while running. */
  uptimeMs: number | null;
  tools: number;
  limits: {
    startupTimeoutMs: number;
    maxRestarts: number;
    restartWindowMs: number;
    restart: string;
    backoff: { initialMs: number; multiplier: number; maxMs: number; jitter: number; resetAfterMs: number };
    maxMemoryBytes: number | null;
    maxCpuPercent: number | null;
  };
}

export interface InspectInstance extends InspectInstanceSummary {
  /** Ids of the active state nodes (outermost first), e.g. `["server.running", "server.running.healthy"]`. */
  active: string[];
  context: InspectContext;
  /** The last transitions (at most 50), oldest first. */
  history: Transition[];
}

/** `inspect` without a name. */
export interface InspectOverview {
  supervisor: { value: unknown; active: string[] };
  instances: InspectInstanceSummary[];
}

/** `inspect NAME`: a server (all its instances) or one instance id. */
export interface InspectDetail {
  supervisor: { value: unknown; active: string[] };
  name: string;
  /** The server machine's chart, read from its definition. */
  chart: Chart;
  instances: InspectInstance[];
}
