/** State changes of instances: what the transition feed carries and the control API reports. */

/** A state change of one instance, as the manager's transition feed tells it. */
export interface ControlTransition {
  /** Increasing across the manager's life. */
  seq: number;
  /** Milliseconds since the epoch. */
  at: number;
  instance: string;
  server: string;
  /** Public state before; null for a new instance. */
  from: string | null;
  /** Public state after, or `removed` once the actor has ended. */
  to: string;
  /** The event behind the change (`server.exited`, `health.bad`, `xstate.after.restartBackoff`…). */
  event: string;
  /** A human reason: exit code or signal, probe verdict, limit exceeded, config change. */
  reason: string | null;
  pid: number | null;
  restarts: number;
  exitCode: number | null;
  signal: string | null;
}

/**
 * One change of an instance's state, with what caused it. Plain data: the control API's
 * `ControlTransition` (seq, time, instance, from → to, event, reason, pid, restarts, exit)
 * plus the machine's full state value (nested states as objects).
 */
export interface Transition extends ControlTransition {
  value: unknown;
}
