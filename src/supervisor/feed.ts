/**
 * The transition feed: one place that follows the supervisor and every server instance
 * through actor subscriptions (not xstate's `inspect`, which stays free for inspection
 * tooling). Routing, health, the gateway's catalog, logs and every view (status, `/ui`,
 * `inspect`, metrics, the control event stream) listen here.
 */
import type { AnyActorRef, Subscription } from 'xstate';
import type { Transition } from '../control/transitions.js';
import { publicState } from '../../machines/index.js';
import type { ServerSnapshot } from '../../machines/server.machine.js';
import { serverOfInstance, type SupervisorActor } from '../../machines/supervisor.machine.js';

export interface Feed {
  /** Every transition of every instance, in order. Returns the unsubscribe function. */
  on(listener: (transition: Transition) => void): () => void;
  /** The last transitions of one instance (bounded), kept after its actor has ended. */
  history(instance: string): readonly Transition[];
  /** Instances that currently have an actor. */
  instances(): string[];
  /** The current snapshot of a live instance. */
  snapshotOf(instance: string): ServerSnapshot | undefined;
  /** The supervisor's own state value. */
  supervisorState(): unknown;
  /** Stop following (the manager is stopping). */
  close(): void;
}

export interface FeedOptions {
  /** Transitions kept per instance. */
  historyLimit?: number;
  /** Ended instances whose history is kept (oldest forgotten first). */
  endedLimit?: number;
  now?: () => number;
}

interface Followed {
  ref: AnyActorRef;
  subscription: Subscription;
  /** Public state and tags last seen: a change in either is worth telling. */
  state: string;
  signature: string;
}

/** Follow `root` and each server instance it spawns. Call before `root.start()`. */
export function createFeed(root: SupervisorActor, options: FeedOptions = {}): Feed {
  const historyLimit = options.historyLimit ?? 50;
  const endedLimit = options.endedLimit ?? 200;
  const now = options.now ?? Date.now;
  const listeners = new Set<(transition: Transition) => void>();
  const histories = new Map<string, Transition[]>();
  const ended: string[] = [];
  const followed = new Map<string, Followed>();
  let seq = 0;

  const record = (transition: Transition) => {
    let list = histories.get(transition.instance);
    if (!list) histories.set(transition.instance, (list = []));
    list.push(transition);
    if (list.length > historyLimit) list.splice(0, list.length - historyLimit);
    for (const listener of listeners) listener(transition);
  };

  const observe = (instance: string, snapshot: ServerSnapshot) => {
    const entry = followed.get(instance);
    if (!entry) return;
    const state = snapshot.value === 'removed' ? 'removed' : publicState(snapshot);
    const signature = `${state}|${[...snapshot.tags].sort().join(',')}|${snapshot.context.tools.length}`;
    if (signature === entry.signature) return;
    const from = entry.state === '' ? null : entry.state;
    entry.signature = signature;
    entry.state = state;
    const ctx = snapshot.context;
    const down = state === 'restarting' || state === 'failed' || state === 'stopping';
    const failure = down && ctx.lastError ? `${ctx.lastError.code}: ${ctx.lastError.message}` : null;
    record({
      seq: ++seq,
      at: now(),
      instance,
      server: serverOfInstance(instance),
      from,
      to: state,
      value: snapshot.value,
      event: ctx.cause.event,
      reason: failure ?? ctx.cause.reason,
      pid: ctx.pid,
      restarts: ctx.restarts,
      exitCode: ctx.lastExit?.exitCode ?? null,
      signal: ctx.lastExit?.signal ?? null,
    });
  };

  const forget = (instance: string, ref: AnyActorRef) => {
    const entry = followed.get(instance);
    // a replacement under the same id may already be followed
    if (entry?.ref !== ref) return;
    const last = entry.ref.getSnapshot() as ServerSnapshot;
    if (entry.state !== 'removed') {
      // ended without passing `removed` (stopped by its parent): say so once
      entry.signature = '';
      observe(instance, { ...last, value: 'removed', tags: new Set() } as unknown as ServerSnapshot);
    }
    entry.subscription.unsubscribe();
    followed.delete(instance);
    ended.push(instance);
    while (ended.length > endedLimit) {
      const old = ended.shift()!;
      if (!followed.has(old)) histories.delete(old);
    }
  };

  const follow = (instance: string, ref: AnyActorRef) => {
    const entry: Followed = { ref, subscription: { unsubscribe: () => undefined }, state: '', signature: '' };
    followed.set(instance, entry);
    entry.subscription = ref.subscribe({
      next: (snapshot) => observe(instance, snapshot as ServerSnapshot),
      error: () => forget(instance, ref),
      complete: () => forget(instance, ref),
    });
    observe(instance, ref.getSnapshot() as ServerSnapshot);
  };

  // every instance's actor, from before it starts until it ends (the pool adds them all)
  const { pool } = root.getSnapshot().context;
  for (const instance of pool.instances()) follow(instance, pool.get(instance)!);
  const unfollowPool = pool.onAdded(follow);

  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    history: (instance) => histories.get(instance) ?? [],
    instances: () => [...followed.keys()],
    snapshotOf: (instance) => followed.get(instance)?.ref.getSnapshot() as ServerSnapshot | undefined,
    supervisorState: () => root.getSnapshot().value,
    close() {
      unfollowPool();
      for (const entry of followed.values()) entry.subscription.unsubscribe();
      followed.clear();
      listeners.clear();
    },
  };
}
