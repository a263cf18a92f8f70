/**
 * Probe tasks and results: plain, structured-cloneable data on both sides of the
 * worker boundary. A failed probe is a result with `ok: false` and a reason in
 * `detail`; nothing is thrown across the boundary.
 */

export type ProbeKind = 'http' | 'tcp' | 'command';

interface TaskBase {
  /** The probe's own deadline: past it, the probe gives up and reports why. */
  timeoutMs: number;
}

/** GET (or HEAD) a remote server's URL: is anything answering, and is it not a web page? */
export interface HttpProbeTask extends TaskBase {
  kind: 'http';
  url: string;
  method?: 'GET' | 'HEAD';
  /** Sent as is (auth headers of the server config); never echoed in a result. */
  headers?: Record<string, string>;
}

/** Open (and close) a TCP connection. */
export interface TcpProbeTask extends TaskBase {
  kind: 'tcp';
  host: string;
  port: number;
}

/** Run a health command without a shell: exit 0 = ok. Killed (its whole group) at the deadline. */
export interface CommandProbeTask extends TaskBase {
  kind: 'command';
  command: string;
  args: string[];
  cwd?: string;
  /** On top of the worker's environment. */
  env?: Record<string, string>;
}

export type ProbeTask = HttpProbeTask | TcpProbeTask | CommandProbeTask;

export interface ProbeResult {
  ok: boolean;
  kind: ProbeKind;
  latencyMs: number;
  /** What happened, in words: the failure reason when `ok` is false. */
  detail: string;
  /** Epoch ms when the probe finished. */
  at: number;
  /** http: the response status. */
  status?: number;
  /** http: the response content type (without parameters). */
  contentType?: string;
  /** command: exit code (null when killed or not started). */
  exitCode?: number | null;
}

/** What the pool sends a worker: probes run concurrently, results in the same order. */
export interface ProbeBatch {
  id: number;
  tasks: ProbeTask[];
}

/** Posted by a worker on its parent port when it starts a batch (the deadline starts then). */
export interface BatchStarted {
  probeBatchStarted: number;
}

/**
 * Posted by a worker when a probe's process group starts or ends, so the pool can kill
 * it should the batch's thread be stopped before the probe could clean up.
 */
export interface BatchChild {
  probeBatchChild: { batch: number; pgid: number; running: boolean };
}

/** What a probe may tell the code running it (the worker relays it to the pool). */
export interface ProbeHooks {
  /** A process group was started (`running`) or is gone. */
  child?(pgid: number, running: boolean): void;
}
