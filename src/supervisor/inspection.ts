/**
 * The inspection tap: one place that watches every actor of the tree. It logs each
 * server's state changes with the reason, and tells listeners (status views, later the
 * router) that something moved.
 */
import type { InspectionEvent } from 'xstate';
import { publicState } from '../../machines/index.js';
import type { ServerSnapshot } from '../../machines/server.machine.js';
import type { Logger } from '../logger.js';

export interface Inspection {
  inspect(event: InspectionEvent): void;
  /** Called after any server instance changed its public state. */
  onChange(listener: (snapshot: ServerSnapshot) => void): () => void;
}

export function createInspection(logger: Logger): Inspection {
  const last = new Map<string, string>();
  const listeners = new Set<(snapshot: ServerSnapshot) => void>();
  return {
    inspect(event) {
      if (event.type !== '@xstate.snapshot') return;
      const snapshot = event.snapshot as Partial<ServerSnapshot>;
      if (snapshot.machine?.id !== 'server' || !snapshot.context) return;
      const instance = snapshot.context.instance;
      const state = publicState(snapshot as ServerSnapshot);
      const before = last.get(instance);
      if (before === state) return;
      last.set(instance, state);
      const failure = snapshot.context.lastError;
      const fields = { server: instance, from: before ?? null, to: state, childPid: snapshot.context.pid };
      if ((state === 'failed' || state === 'restarting') && failure) {
        logger.warn({ ...fields, reason: `${failure.code}: ${failure.message}`, stderr: failure.stderrTail.slice(-5) }, `server ${instance} ${state}`);
      } else {
        logger.info(fields, `server ${instance} ${state}`);
      }
      for (const listener of listeners) listener(snapshot as ServerSnapshot);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
