import type { ConnectionType } from '../config/types.js';
import type { InspectDetail, InspectOverview } from './inspect-types.js';
import type { ControlTransition } from './transitions.js';

export type { ControlTransition, Transition } from './transitions.js';

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
  /** --detailed only: what the server should be doing, and who decided (the config or an operator). */
  desired?: DesiredState;
}

export interface DesiredState {
  state: 'running' | 'stopped';
  source: 'config' | 'operator';
  /** When an operator decided (ISO), and through what (`control`, `ui`). */
  at?: string;
  via?: string;
}

export interface StatusSnapshot {
  manager: {
    pid: number;
    version: string;
    configFile: string;
    stateDir: string;
    startedAt: string;
    uptimeMs: number;
    /** Warnings about this run: an unusable state file set aside, orphans of a crashed predecessor stopped. */
    notices?: string[];
    /** The Streamable HTTP gateway, when it listens: legacy-era sessions held and idle ones evicted at the cap. */
    http?: { url: string; sessions: number; maxSessions: number; evictions: number };
    /** Log lines dropped because the log buffer was full. */
    droppedLogLines?: number;
    /** How many reloads have changed the running config (for `reload?since=`). */
    configGeneration?: number;
  };
  servers: ServerStatus[];
}

/** What the control API asks of the running manager. Commands are events to the supervisor. */
export interface ControlHandlers extends ControlExtensions {
  status(options: { detailed: boolean }): StatusSnapshot;
  startServer(name: string): Promise<void> | void;
  stopServer(name: string): Promise<void> | void;
  restartServer(name: string): Promise<void> | void;
  /** Stop the whole manager (reverse start order). Resolves once the reply may be sent; shutdown continues. */
  shutdown(): Promise<void> | void;
}

/** One server's offer as the gateway lists it (`capabilities`). */
export interface ServerCapabilitiesEntry {
  name: string;
  state: ServerState;
  /** The server's own `initialize` answer, when it has run. */
  serverInfo: { name: string; version: string } | null;
  protocolCapabilities: Record<string, unknown>;
  /** The protocol era the manager speaks to it (null until connected). */
  era: 'legacy' | 'modern' | null;
  /**
   * What the gateway told the server it can serve (`client_capabilities`); a server may
   * hide tools that need the others (sampling, elicitation, roots).
   */
  offered: { sampling: boolean; elicitation: boolean; roots: boolean };
  tools: { name: string; publicName: string | null; description?: string; readOnly: boolean }[];
  prompts: { name: string; publicName: string | null }[];
  resources: { uri: string; name: string }[];
  resourceTemplates: { uriTemplate: string; name: string }[];
}

export interface CapabilitiesSnapshot {
  servers: ServerCapabilitiesEntry[];
}

/** A tool result as the backend returned it (content, structuredContent, isError). */
export type ToolCallResult = Record<string, unknown>;

/** Per-server health (`health`); filled by the health monitor. */
export interface HealthEntry {
  name: string;
  /** The health tiers are states (healthy, degraded, unhealthy, critical). */
  state: ServerState;
  restarts: number;
  /** Anything the monitor reports: last probe results, latency, cpu, memory, trend. */
  [key: string]: unknown;
}

export interface HealthSnapshot {
  servers: HealthEntry[];
}

export interface ReloadReport {
  ok: boolean;
  added: string[];
  removed: string[];
  changed: string[];
  /** Present when the new config was rejected (the last good one keeps running). */
  issues?: { file: string; path: string; line?: number; column?: number; message: string }[];
}

/** One line of the control event stream (`GET /events`, NDJSON). */
export type ControlEvent =
  /** The subscription is live: everything after this line is news. */
  | { type: 'ready' }
  | { type: 'transition'; transition: ControlTransition }
  /** Sampled figures per instance, pushed every `?stats=MS` (default 2000; 0: never). */
  | { type: 'stats'; at: number; instances: InstanceStats[] };

export interface InstanceStats {
  server: string;
  instance: string;
  pid: number | null;
  cpuPercent: number | null;
  memoryBytes: number | null;
  /** Requests the gateway sent to the server (all its instances) since the manager started. */
  requests: number;
}

/** Operations added by the gateway, health and discovery. Optional: absent → 404-style "not available". */
export interface ControlExtensions {
  capabilities?(server: string | undefined): CapabilitiesSnapshot;
  /** `server` and `tool` are the server's own names (not public names). */
  callTool?(server: string, tool: string, args: Record<string, unknown>): Promise<ToolCallResult>;
  health?(server: string | undefined): HealthSnapshot;
  /** With `since` (the status's `configGeneration` read before an edit): everything applied after it. */
  reload?(request?: { since?: number }): Promise<ReloadReport>;
  /** Follow the manager: every transition, and figures sampled now (for `stats` lines). Returns the unsubscribe function. */
  events?(listener: (transition: ControlTransition) => void): () => void;
  stats?(): InstanceStats[];
  /** No name: the supervisor and every instance; a server or instance name: its chart, context and history. */
  inspect?(name: string | undefined): InspectOverview | InspectDetail;
}
