import type { ConnectionType } from '../config/types.js';

/** States of a server actor (DESIGN §3). */
export const SERVER_STATES = [
  'stopped',
  'starting',
  'healthy',
  'degraded',
  'unhealthy',
  'critical',
  'restarting',
  'stopping',
  'failed',
] as const;
export type ServerState = (typeof SERVER_STATES)[number];

export interface LastExit {
  exitCode: number | null;
  signal: string | null;
  /** ISO time, when known. */
  at?: string;
}

/** One running instance of a server (replicas give several). */
export interface InstanceStatus {
  name: string;
  state: ServerState;
  pid: number | null;
  restarts: number;
  transport: ConnectionType;
}

export interface ServerStatus extends InstanceStatus {
  description?: string;
  tags: string[];
  enabled: boolean;
  /** Present when replicas > 1: one entry per instance. */
  instances?: InstanceStatus[];
  /** --detailed only. */
  uptimeMs?: number | null;
  tools?: string[];
  lastExit?: LastExit | null;
  /** Human-readable reason for failed/unavailable states (redacted). */
  error?: string | null;
  stderrTail?: string[];
  command?: string;
  args?: string[];
  nextRestartInMs?: number | null;
}

export interface StatusSnapshot {
  manager: {
    pid: number;
    version: string;
    configFile: string;
    stateDir: string;
    startedAt: string;
    uptimeMs: number;
  };
  servers: ServerStatus[];
}

/** What the control API asks of the running manager. Commands are events to the supervisor. */
export interface ControlHandlers {
  status(options: { detailed: boolean }): StatusSnapshot;
  startServer(name: string): Promise<void> | void;
  stopServer(name: string): Promise<void> | void;
  restartServer(name: string): Promise<void> | void;
  /** Stop the whole manager (reverse start order). Resolves once the reply may be sent; shutdown continues. */
  shutdown(): Promise<void> | void;
}
