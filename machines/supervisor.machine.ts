/**
 * The root supervisor (DESIGN §3): one server actor per configured instance, one_for_one.
 *
 * - Each instance restarts on its own (restart types, intensity, backoff live in the
 *   server chart); a sibling's trouble never touches it.
 * - A server actor that throws (a bug, not a process failure) is caught here as
 *   `xstate.error.actor.*`: it is replaced by a fresh actor, so one bug never takes the
 *   supervisor down.
 * - `config.changed` touches only added, removed and changed servers.
 * - Operators' decisions (`server.stop`, `server.start`, `server.restart`) are kept as
 *   overrides of the config's `enabled`: a server an operator stopped stays stopped across
 *   config changes (and, persisted by the manager, across restarts) until started again.
 * - `manager.shutdown` stops the servers level by level in reverse start order, each level
 *   in parallel with bounded concurrency (all servers are one level today; retiring ones first).
 */
import { enqueueActions, fromPromise, setup, waitFor, type ActorRefFrom } from 'xstate';
import type { InstanceReport, ServerSpec, SupervisorEvent } from './events.js';
import { seedFor } from './policies.js';
import { ServerPool, type SpawnRequest } from './server-pool.js';
import { serverMachine, type ServerActor, type ServerInput } from './server.machine.js';

/** What reaches the supervisor from its children. */
type ChildEvent = { type: `xstate.done.actor.${string}` } | { type: `xstate.error.actor.${string}`; error: unknown } | InstanceReport;

/** An operator's decision that differs from the config's `enabled`. */
export type Override = 'stopped' | 'running';

export interface SupervisorInput {
  servers: ServerSpec[];
  /** By server name, e.g. restored from the state file. */
  overrides?: Record<string, Override>;
  /** Seed of every instance's backoff jitter (each instance derives its own from it). */
  seed?: number;
}

export interface SupervisorContext {
  /** By server name. */
  specs: Record<string, ServerSpec>;
  /** Server names in start order. */
  order: string[];
  /** Instance ids by server name (an instance id is also its child actor id). */
  instances: Record<string, string[]>;
  /** Generation of each server's instances; a replacement gets the next one. */
  generations: Record<string, number>;
  /** Replacements in progress: the next instances start while the old ones serve. */
  replacing: Record<string, { next: string[]; ready: string[] }>;
  /** Why the last replacement of a server was abandoned (the old instances kept serving). */
  replaceFailures: Record<string, string>;
  /** Actor bugs caught per instance (not process failures). */
  crashes: Record<string, number>;
  /** Operators' decisions by server name (see `Override`). */
  overrides: Record<string, Override>;
  /** Jitter seed handed down to the instances. */
  seed: number;
  /** The instances' actors (see `ServerPool`: not in the snapshot's `children`). */
  pool: ServerPool;
}

/** Whether a server should be running: the operator's decision, else the config's. */
export function wantsRunning(spec: Pick<ServerSpec, 'name' | 'enabled'>, overrides: Record<string, Override>): boolean {
  const override = overrides[spec.name];
  return override === undefined ? spec.enabled : override === 'running';
}

/** The override a command leaves: none when it agrees with the config. */
function overrideAfter(spec: ServerSpec | undefined, command: 'server.start' | 'server.stop' | 'server.restart'): Override | undefined {
  const wanted: Override = command === 'server.stop' ? 'stopped' : 'running';
  if (!spec) return undefined;
  return (wanted === 'running') === spec.enabled ? undefined : wanted;
}

/**
 * Instance ids of a server: its name, or `name#i` with replicas; a replacement's
 * generation g ≥ 2 adds `~g` (`name~2`, `name#1~2`).
 */
export function instanceIds(spec: Pick<ServerSpec, 'name' | 'replicas'>, generation = 1): string[] {
  const suffix = generation > 1 ? `~${generation}` : '';
  if (spec.replicas <= 1) return [`${spec.name}${suffix}`];
  return Array.from({ length: spec.replicas }, (_, i) => `${spec.name}#${i + 1}${suffix}`);
}

/** The server a given instance id belongs to. */
export function serverOfInstance(instance: string): string {
  const tilde = instance.lastIndexOf('~');
  const base = tilde === -1 ? instance : instance.slice(0, tilde);
  const hash = base.lastIndexOf('#');
  return hash === -1 ? base : base.slice(0, hash);
}

/**
 * What asks the pool for an instance's actor. Emitted, so the actor is created and started
 * after the supervisor's step, where xstate starts the children it spawns. A disabled server
 * an operator started is told to start.
 */
function spawnEvent(id: string, spec: ServerSpec, overrides: Record<string, Override>, seed: number): SpawnRequest {
  const input: ServerInput = { instance: id, spec, autoStart: overrides[spec.name] !== 'stopped', seed: seedFor(seed, id) };
  return { type: 'instance.spawn', input, start: overrides[spec.name] === 'running' };
}

/** What `letGo` needs of an action's `enqueue`. */
interface LetGoEnqueue {
  (action: () => void): void;
  stopChild(ref: ServerActor): void;
}

/** Stop and forget an instance's actor that has ended (done or errored); a live one stays. */
function letGo(pool: ServerPool, id: string, enqueue: LetGoEnqueue): void {
  const ref = pool.get(id);
  if (!ref || ref.getSnapshot().status === 'active') return;
  enqueue.stopChild(ref);
  enqueue(() => pool.delete(id, ref));
}

/** A bug-caught actor is replaced at most this many times before it is left out. */
const MAX_ACTOR_CRASHES = 5;

/**
 * How many servers stop at once during shutdown: a bound on stops (timers, signals) in
 * flight, above the size of a level on one machine today, so a level's processes all get
 * their first rung at once (see `beforeStop`) rather than in waves.
 */
export const STOP_CONCURRENCY = 256;

export interface StopAllInput {
  /** Levels in the order to stop them (reverse start order); each level stops in parallel. */
  levels: ActorRefFrom<typeof serverMachine>[][];
  /** At most this many stopping at once (default STOP_CONCURRENCY). */
  concurrency?: number;
}

export interface StopInOrderOptions {
  /**
   * Called with an instance id just before it is told to stop, in the same turn of the
   * event loop (so its chart still sees any exit as part of its stop): the place to begin
   * the stop in the world at once (end its input), so the processes exit while the charts
   * of the others are worked through. Called once per instance it stops.
   */
  beforeStop?(instance: string): void;
}

/** Stop level after level; within a level up to `concurrency` at once, started in the level's order. */
export function createStopInOrder(options: StopInOrderOptions = {}) {
  return fromPromise<void, StopAllInput>(async ({ input }) => {
    const limit = Math.max(1, input.concurrency ?? STOP_CONCURRENCY);
    // only where `server.stop` goes straight to `stopping` (a draining instance keeps its calls)
    const begin = (ref: ActorRefFrom<typeof serverMachine>) => {
      const snapshot = ref.getSnapshot();
      if (snapshot.status === 'active' && (snapshot.hasTag('running') || snapshot.matches('starting'))) options.beforeStop?.(ref.id);
    };
    const stopOne = async (ref: ActorRefFrom<typeof serverMachine>, begun: boolean) => {
      if (ref.getSnapshot().status !== 'active') return;
      if (!begun) begin(ref);
      ref.send({ type: 'server.stop' });
      await waitFor(ref, (s) => s.status !== 'active' || s.hasTag('down'));
    };
    for (const level of input.levels) {
      // the first `limit` are all told to stop in this same turn: begin their stops in the
      // world before any chart runs (no exit can be seen in between, so none is restarted)
      const head = Math.min(limit, level.length);
      for (const ref of level.slice(0, head)) begin(ref);
      let next = 0;
      const lane = async () => {
        while (next < level.length) {
          const i = next++;
          await stopOne(level[i]!, i < head);
        }
      };
      await Promise.all(Array.from({ length: head }, lane));
    }
  });
}

export const stopInOrder = createStopInOrder();

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent | ChildEvent,
    input: {} as SupervisorInput,
    emitted: {} as SpawnRequest,
  },
  actors: {
    server: serverMachine,
    stopAll: stopInOrder,
  },
  actions: {
    spawnAll: enqueueActions(({ context, enqueue }) => {
      for (const name of context.order) {
        for (const id of context.instances[name] ?? []) {
          enqueue.emit(spawnEvent(id, context.specs[name]!, context.overrides, context.seed));
        }
      }
    }),
    forward: enqueueActions(({ context, event, enqueue }) => {
      if (!('name' in event)) return;
      if (event.type === 'server.start' || event.type === 'server.stop' || event.type === 'server.restart') {
        const overrides = { ...context.overrides };
        const override = overrideAfter(context.specs[event.name], event.type);
        if (override === undefined) delete overrides[event.name];
        else overrides[event.name] = override;
        enqueue.assign({ overrides });
      }
      for (const ref of context.pool.refsOf(context.instances[event.name] ?? [])) enqueue.sendTo(ref, { type: event.type });
    }),
    forwardHealth: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'health.good' && event.type !== 'health.bad' && event.type !== 'health.restart') return;
      const server = serverOfInstance(event.instance);
      if (!context.instances[server]?.includes(event.instance)) return;
      const { instance: _instance, ...forwarded } = event;
      const ref = context.pool.get(event.instance);
      if (ref) enqueue.sendTo(ref, forwarded);
    }),
    /**
     * Added servers start; removed ones retire (drain, stop). A changed server is replaced
     * without downtime: its next instances start beside the old ones, which retire only
     * once every next instance is ready (`instance.ready`).
     */
    applyConfig: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'config.changed') return;
      const specs = Object.fromEntries(event.servers.map((s) => [s.name, s]));
      // what changed inside a server is the config diff's verdict; which names come and go is plain
      const added = event.servers.map((s) => s.name).filter((name) => !(name in context.specs));
      const removed = Object.keys(context.specs).filter((name) => !(name in specs));
      const changed = event.replaced.filter((name) => name in context.specs && name in specs);
      const instances = { ...context.instances };
      const generations = { ...context.generations };
      const replacing = { ...context.replacing };
      const replaceFailures = { ...context.replaceFailures };
      const overrides = { ...context.overrides };
      const spawn = (ids: string[], spec: ServerSpec) => {
        for (const id of ids) enqueue.emit(spawnEvent(id, spec, overrides, context.seed));
      };
      const tell = (ids: string[], type: 'server.retire' | 'server.remove') => {
        for (const ref of context.pool.refsOf(ids)) enqueue.sendTo(ref, { type });
      };
      for (const name of removed) {
        delete overrides[name];
        tell([...(instances[name] ?? []), ...(replacing[name]?.next ?? [])], 'server.retire');
        delete instances[name];
        delete replacing[name];
        delete replaceFailures[name];
      }
      for (const name of changed) {
        const spec = specs[name]!;
        // a replacement already under way is abandoned for the newer one
        tell(replacing[name]?.next ?? [], 'server.remove');
        delete replaceFailures[name];
        const generation = (generations[name] ?? 1) + 1;
        generations[name] = generation;
        const next = instanceIds(spec, generation);
        spawn(next, spec);
        if (wantsRunning(spec, overrides)) {
          replacing[name] = { next, ready: [] };
        } else {
          // nothing will come up to take over: the old instances go now
          tell(instances[name] ?? [], 'server.retire');
          instances[name] = next;
          delete replacing[name];
        }
      }
      for (const name of added) {
        const spec = specs[name]!;
        generations[name] = 1;
        instances[name] = instanceIds(spec);
        spawn(instances[name], spec);
      }
      enqueue.assign({ specs, order: event.servers.map((s) => s.name), instances, generations, replacing, replaceFailures, overrides });
    }),
    /** A next instance is ready; when all are, switch over and retire the old ones. */
    promote: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'instance.ready') return;
      const name = serverOfInstance(event.instance);
      const replacement = context.replacing[name];
      if (!replacement?.next.includes(event.instance)) return;
      const ready = [...new Set([...replacement.ready, event.instance])];
      if (ready.length < replacement.next.length) {
        enqueue.assign({ replacing: { ...context.replacing, [name]: { ...replacement, ready } } });
        return;
      }
      for (const ref of context.pool.refsOf(context.instances[name] ?? [])) enqueue.sendTo(ref, { type: 'server.retire' });
      const replacing = { ...context.replacing };
      delete replacing[name];
      enqueue.assign({ instances: { ...context.instances, [name]: replacement.next }, replacing });
    }),
    /** A next instance failed to come up: drop the replacement, the old instances keep serving. */
    abandon: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'instance.failed') return;
      const name = serverOfInstance(event.instance);
      const replacement = context.replacing[name];
      if (!replacement?.next.includes(event.instance)) return;
      for (const ref of context.pool.refsOf(replacement.next)) enqueue.sendTo(ref, { type: 'server.remove' });
      const replacing = { ...context.replacing };
      delete replacing[name];
      enqueue.assign({ replacing, replaceFailures: { ...context.replaceFailures, [name]: `${event.instance}: ${event.reason}` } });
    }),
    /** An instance reached its final state (retired or removed): let the actor go. */
    retire: enqueueActions(({ context, event, enqueue }) => {
      letGo(context.pool, event.type.slice('xstate.done.actor.'.length), enqueue);
    }),
    /** A server actor threw: replace it with a fresh one (one_for_one), within bounds. */
    replaceCrashed: enqueueActions(({ context, event, enqueue }) => {
      const id = event.type.slice('xstate.error.actor.'.length);
      const name = serverOfInstance(id);
      const spec = context.specs[name];
      letGo(context.pool, id, enqueue);
      const crashes = (context.crashes[id] ?? 0) + 1;
      enqueue.assign({ crashes: { ...context.crashes, [id]: crashes } });
      if (!spec || !context.instances[name]?.includes(id) || crashes > MAX_ACTOR_CRASHES) return;
      enqueue.emit(spawnEvent(id, spec, context.overrides, context.seed + crashes));
    }),
    /** The final state: every instance's actor goes (they are all down by now, or never came up). */
    letGoAll: enqueueActions(({ context, enqueue }) => {
      for (const ref of context.pool.refs()) enqueue.stopChild(ref);
      enqueue(() => context.pool.clear());
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input, self }) => ({
    specs: Object.fromEntries(input.servers.map((s) => [s.name, s])),
    order: input.servers.map((s) => s.name),
    instances: Object.fromEntries(input.servers.map((s) => [s.name, instanceIds(s)])),
    generations: Object.fromEntries(input.servers.map((s) => [s.name, 1])),
    replacing: {},
    replaceFailures: {},
    crashes: {},
    overrides: Object.fromEntries(Object.entries(input.overrides ?? {}).filter(([name]) => input.servers.some((s) => s.name === name))),
    seed: input.seed ?? 0,
    pool: new ServerPool(self),
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
        'instance.ready': { actions: 'promote' },
        'instance.failed': { actions: 'abandon' },
        'xstate.done.actor.*': { actions: 'retire' },
        'xstate.error.actor.*': { actions: 'replaceCrashed' },
      },
    },
    shuttingDown: {
      invoke: {
        id: 'stopAll',
        src: 'stopAll',
        input: ({ context }) => {
          const ids = context.order.flatMap((name) => [...(context.instances[name] ?? []), ...(context.replacing[name]?.next ?? [])]);
          const configured = new Set(ids);
          // anything still retiring goes first, then the configured servers in reverse start order
          const retiring = context.pool.instances().filter((id) => !configured.has(id));
          // one dependency level today: everything configured stops together, last started first
          return { levels: [context.pool.refsOf(retiring), context.pool.refsOf(ids.reverse())] };
        },
        onDone: { target: 'stopped' },
        onError: { target: 'stopped' },
      },
      on: {
        // a child that throws while stopping is simply gone; shutdown goes on
        'xstate.error.actor.*': {},
      },
    },
    stopped: { type: 'final', entry: 'letGoAll' },
  },
});

export type SupervisorActor = ActorRefFrom<typeof supervisorMachine>;
