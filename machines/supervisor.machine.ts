/**
 * The root supervisor (DESIGN §3): one server actor per configured instance, one_for_one.
 *
 * - Each instance restarts on its own (restart types, intensity, backoff live in the
 *   server chart); a sibling's trouble never touches it.
 * - A server actor that throws (a bug, not a process failure) is caught here as
 *   `xstate.error.actor.*`: it is replaced by a fresh actor, so one bug never takes the
 *   supervisor down.
 * - `config.changed` touches only added, removed and changed servers.
 * - `manager.shutdown` stops the servers one by one in reverse start order.
 */
import { enqueueActions, fromPromise, setup, waitFor, type ActorRefFrom } from 'xstate';
import type { ServerSpec, SupervisorEvent } from './events.js';
import { serverMachine } from './server.machine.js';

/** What reaches the supervisor from its children. */
type ChildEvent = { type: `xstate.done.actor.${string}` } | { type: `xstate.error.actor.${string}`; error: unknown };

export interface SupervisorInput {
  servers: ServerSpec[];
}

export interface SupervisorContext {
  /** By server name. */
  specs: Record<string, ServerSpec>;
  /** Server names in start order. */
  order: string[];
  /** Instance ids by server name (an instance id is also its child actor id). */
  instances: Record<string, string[]>;
  /** Specs waiting for their old instances to finish stopping before they start. */
  pending: Record<string, ServerSpec>;
  /** Actor bugs caught per instance (not process failures). */
  crashes: Record<string, number>;
}

/** Instance ids of a server: its name, or `name#i` with replicas. */
export function instanceIds(spec: Pick<ServerSpec, 'name' | 'replicas'>): string[] {
  if (spec.replicas <= 1) return [spec.name];
  return Array.from({ length: spec.replicas }, (_, i) => `${spec.name}#${i + 1}`);
}

/** The server a given instance id belongs to. */
export function serverOfInstance(instance: string): string {
  const hash = instance.lastIndexOf('#');
  return hash === -1 ? instance : instance.slice(0, hash);
}

/** Names whose spec differs between two configs (added, removed, changed). */
export function diffSpecs(
  before: Record<string, ServerSpec>,
  after: readonly ServerSpec[],
): { added: string[]; removed: string[]; changed: string[] } {
  const next = new Map(after.map((s) => [s.name, s]));
  const added = after.filter((s) => !(s.name in before)).map((s) => s.name);
  const removed = Object.keys(before).filter((n) => !next.has(n));
  const changed = after
    .filter((s) => s.name in before && JSON.stringify(before[s.name]) !== JSON.stringify(s))
    .map((s) => s.name);
  return { added, removed, changed };
}

/** A bug-caught actor is replaced at most this many times before it is left out. */
const MAX_ACTOR_CRASHES = 5;

export interface StopAllInput {
  /** In the order to stop them (reverse start order). */
  refs: ActorRefFrom<typeof serverMachine>[];
}

/** Stop servers one at a time; each waits for the previous to be down. */
export const stopInOrder = fromPromise<void, StopAllInput>(async ({ input }) => {
  for (const ref of input.refs) {
    if (ref.getSnapshot().status !== 'active') continue;
    ref.send({ type: 'server.stop' });
    await waitFor(ref, (s) => s.status !== 'active' || s.hasTag('down'));
  }
});

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent | ChildEvent,
    input: {} as SupervisorInput,
  },
  actors: {
    server: serverMachine,
    stopAll: stopInOrder,
  },
  actions: {
    spawnAll: enqueueActions(({ context, enqueue }) => {
      for (const name of context.order) {
        const spec = context.specs[name]!;
        for (const id of context.instances[name] ?? []) {
          enqueue.spawnChild('server', { id, input: { instance: id, spec, autoStart: true } });
        }
      }
    }),
    forward: enqueueActions(({ context, event, enqueue }) => {
      if (!('name' in event)) return;
      for (const id of context.instances[event.name] ?? []) {
        enqueue.sendTo(id, { type: event.type });
      }
    }),
    forwardHealth: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'health.good' && event.type !== 'health.bad' && event.type !== 'health.restart') return;
      const server = serverOfInstance(event.instance);
      if (!context.instances[server]?.includes(event.instance)) return;
      const { instance: _instance, ...forwarded } = event;
      enqueue.sendTo(event.instance, forwarded);
    }),
    applyConfig: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'config.changed') return;
      const { added, removed, changed } = diffSpecs(context.specs, event.servers);
      const specs = Object.fromEntries(event.servers.map((s) => [s.name, s]));
      const instances = { ...context.instances };
      const pending = { ...context.pending };
      for (const name of [...removed, ...changed]) {
        for (const id of context.instances[name] ?? []) enqueue.sendTo(id, { type: 'server.remove' });
        delete pending[name];
      }
      for (const name of changed) pending[name] = specs[name]!;
      for (const name of removed) delete instances[name];
      for (const name of added) {
        const spec = specs[name]!;
        instances[name] = instanceIds(spec);
        for (const id of instances[name]) enqueue.spawnChild('server', { id, input: { instance: id, spec, autoStart: true } });
      }
      // removed/changed instances stay in `retiring` (tracked as children) until they end
      enqueue.assign({ specs, order: event.servers.map((s) => s.name), instances, pending });
    }),
    /** An instance reached its final state (it was removed): drop it, start a replacement if one waits. */
    retire: enqueueActions(({ context, event, enqueue, self }) => {
      const id = event.type.slice('xstate.done.actor.'.length);
      enqueue.stopChild(id);
      const name = serverOfInstance(id);
      const spec = context.pending[name];
      if (!spec) {
        if (!(name in context.specs)) {
          const instances = { ...context.instances };
          delete instances[name];
          enqueue.assign({ instances });
        }
        return;
      }
      // start the replacement once every old instance of this server is gone
      const stillRunning = Object.keys(self.getSnapshot().children).filter(
        (child) => child !== id && serverOfInstance(child) === name,
      );
      if (stillRunning.length > 0) return;
      const ids = instanceIds(spec);
      for (const next of ids) enqueue.spawnChild('server', { id: next, input: { instance: next, spec, autoStart: true } });
      const pending = { ...context.pending };
      delete pending[name];
      enqueue.assign({ pending, instances: { ...context.instances, [name]: ids } });
    }),
    /** A server actor threw: replace it with a fresh one (one_for_one), within bounds. */
    replaceCrashed: enqueueActions(({ context, event, enqueue }) => {
      const id = event.type.slice('xstate.error.actor.'.length);
      const name = serverOfInstance(id);
      const spec = context.specs[name];
      enqueue.stopChild(id);
      const crashes = (context.crashes[id] ?? 0) + 1;
      enqueue.assign({ crashes: { ...context.crashes, [id]: crashes } });
      if (!spec || !context.instances[name]?.includes(id) || crashes > MAX_ACTOR_CRASHES) return;
      enqueue.spawnChild('server', { id, input: { instance: id, spec, autoStart: spec.enabled } });
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    specs: Object.fromEntries(input.servers.map((s) => [s.name, s])),
    order: input.servers.map((s) => s.name),
    instances: Object.fromEntries(input.servers.map((s) => [s.name, instanceIds(s)])),
    pending: {},
    crashes: {},
  }),
  initial: 'running',
  states: {
    running: {
      entry: 'spawnAll',
      on: {
        'server.start': { actions: 'forward' },
        'server.stop': { actions: 'forward' },
        'server.restart': { actions: 'forward' },
        'health.good': { actions: 'forwardHealth' },
        'health.bad': { actions: 'forwardHealth' },
        'health.restart': { actions: 'forwardHealth' },
        'config.changed': { actions: 'applyConfig' },
        'manager.shutdown': { target: 'shuttingDown' },
        'xstate.done.actor.*': { actions: 'retire' },
        'xstate.error.actor.*': { actions: 'replaceCrashed' },
      },
    },
    shuttingDown: {
      invoke: {
        id: 'stopAll',
        src: 'stopAll',
        input: ({ context, self }) => {
          const children = ((self.getSnapshot() as { children?: unknown } | undefined)?.children ?? {}) as Record<
            string,
            ActorRefFrom<typeof serverMachine> | undefined
          >;
          const ids = context.order.flatMap((name) => context.instances[name] ?? []);
          // anything still retiring goes first, then the configured servers in reverse start order
          const retiring = Object.keys(children).filter((id) => !ids.includes(id) && id !== 'stopAll');
          const refs = [...retiring, ...ids.reverse()]
            .map((id) => children[id])
            .filter((r): r is ActorRefFrom<typeof serverMachine> => r !== undefined);
          return { refs };
        },
        onDone: { target: 'stopped' },
        onError: { target: 'stopped' },
      },
      on: {
        // a child that throws while stopping is simply gone; shutdown goes on
        'xstate.error.actor.*': {},
      },
    },
    stopped: { type: 'final' },
  },
});

export type SupervisorActor = ActorRefFrom<typeof supervisorMachine>;
