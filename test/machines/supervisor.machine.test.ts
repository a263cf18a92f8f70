import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise, type AnyActorRef, type SimulatedClock } from 'xstate';
import { publicState } from '../../machines/index.js';
import { serverMachine, type InstanceRef, type ServerSnapshot } from '../../machines/server.machine.js';
import {
  createStopInOrder,
  instanceIds,
  serverOfInstance,
  stopInOrder,
  supervisorMachine,
  type Override,
  type SupervisorActor,
} from '../../machines/supervisor.machine.js';
import type { ServerSpec } from '../../machines/events.js';
import { FakeWorld, flush, newClock, shutDown, spec } from './harness.js';

let root: SupervisorActor | undefined;
let rootClock: SimulatedClock | undefined;
afterEach(() => shutDown(root, rootClock));

function boot(
  servers: ServerSpec[],
  world = new FakeWorld(),
  server = serverMachine.provide({ actors: world.actors }),
  overrides: Record<string, Override> = {},
) {
  const clock = newClock();
  rootClock = clock;
  const errors: unknown[] = [];
  root = createActor(supervisorMachine.provide({ actors: { server } }), { clock, input: { servers, overrides } });
  root.subscribe({ error: (e) => errors.push(e) });
  root.start();
  // the instances' actors live in the supervisor's pool, not its snapshot's children
  const children = () => {
    const { pool } = root!.getSnapshot().context;
    return Object.fromEntries(pool.instances().map((id) => [id, pool.get(id)])) as Record<string, AnyActorRef | undefined>;
  };
  const stateOf = (id: string) => {
    const child = children()[id];
    return child ? publicState(child.getSnapshot() as ServerSnapshot) : undefined;
  };
  return { world, clock, root, errors, children, stateOf };
}

describe('supervisor', () => {
  it('spawns one actor per instance, replicas included, in config order', () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'b', replicas: 3 }), spec({ name: 'c', enabled: false })]);
    expect(Object.keys(t.children())).toEqual(['a', 'b#1', 'b#2', 'b#3', 'c']);
    expect(t.world.launches.map((l) => l.instance)).toEqual(['a', 'b#1', 'b#2', 'b#3']);
    expect(t.stateOf('c')).toBe('stopped');
  });

  it('is one_for_one: a crashing server restarts alone', async () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'b' })]);
    await t.world.ready('a');
    await t.world.ready('b');
    await t.world.exit('a', 1);
    expect(t.stateOf('a')).toBe('restarting');
    expect(t.stateOf('b')).toBe('healthy');
    expect(t.world.stops).toEqual(['a']);
  });

  it('forwards commands by server name to every instance', async () => {
    const t = boot([spec({ name: 'a', replicas: 2 }), spec({ name: 'b' })]);
    await t.world.ready('a#1');
    await t.world.ready('a#2');
    await t.world.ready('b');
    t.root.send({ type: 'server.stop', name: 'a' });
    await flush();
    expect(t.stateOf('a#1')).toBe('stopped');
    expect(t.stateOf('a#2')).toBe('stopped');
    expect(t.stateOf('b')).toBe('healthy');
    t.root.send({ type: 'server.start', name: 'a' });
    expect(t.stateOf('a#1')).toBe('starting');
  });

  it('routes health results to the named instance only', async () => {
    const t = boot([spec({ name: 'a', replicas: 2, health: { downAfter: 1, upAfter: 1, criticalGraceMs: 1_000 } })]);
    await t.world.ready('a#1');
    await t.world.ready('a#2');
    t.root.send({ type: 'health.bad', instance: 'a#2', reason: 'slow' });
    expect(t.stateOf('a#1')).toBe('healthy');
    expect(t.stateOf('a#2')).toBe('degraded');
    t.root.send({ type: 'health.bad', instance: 'nope', reason: 'x' });
    expect(t.errors).toEqual([]);
  });

  it('shuts down in parallel, the stops begun in reverse start order', async () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'b' }), spec({ name: 'c' })]);
    for (const n of ['a', 'b', 'c']) await t.world.ready(n);
    t.world.holdStops = true;
    t.root.send({ type: 'manager.shutdown' });
    await flush();
    // one dependency level: all stop at once, last started first
    expect(t.world.stops).toEqual(['c', 'b', 'a']);
    expect(t.root.getSnapshot().status).toBe('active');
    await t.world.releaseStops();
    expect(t.root.getSnapshot().status).toBe('done');
  });

  it('stops level after level, with at most `concurrency` stopping at once', async () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'b' }), spec({ name: 'c' }), spec({ name: 'd' })]);
    for (const n of ['a', 'b', 'c', 'd']) await t.world.ready(n);
    t.world.holdStops = true;
    const refs = t.children() as Record<string, AnyActorRef>;
    const done = createActor(stopInOrder, {
      input: { levels: [[refs.d!], [refs.c!, refs.b!, refs.a!]], concurrency: 2 },
    }).start();
    await flush();
    expect(t.world.stops).toEqual(['d']); // the next level waits for this one
    await t.world.releaseStops();
    expect(t.world.stops).toEqual(['d', 'c', 'b']); // two at once
    await t.world.releaseStops();
    expect(t.world.stops).toEqual(['d', 'c', 'b', 'a']);
    await t.world.releaseStops();
    expect(done.getSnapshot().status).toBe('done');
  });

  it('begins the stops of a level in the world before any of its charts runs, once each, only where a process runs', async () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'b' }), spec({ name: 'c' }), spec({ name: 'off' })], undefined, undefined, {
      off: 'stopped',
    });
    for (const n of ['a', 'b', 'c']) await t.world.ready(n);
    t.world.holdStops = true;
    const refs = t.children() as Record<string, AnyActorRef>;
    // each begun stop with how many charts had reached their stop ladder by then
    const begun: string[] = [];
    const stopAll = createStopInOrder({ beforeStop: (instance) => begun.push(`${instance}@${t.world.stops.length}`) });
    const done = createActor(stopAll, { input: { levels: [[refs.c!, refs.b!, refs.off!, refs.a!]], concurrency: 2 } }).start();
    await flush();
    // c and b (within the bound) began together before either chart ran; `off` runs nothing
    expect(begun).toEqual(['c@0', 'b@0']);
    expect(t.world.stops).toEqual(['c', 'b']);
    await t.world.releaseStops();
    // a waited for a free lane, and began just before its own chart ran
    expect(begun).toEqual(['c@0', 'b@0', 'a@2']);
    expect(t.world.stops).toEqual(['c', 'b', 'a']);
    await t.world.releaseStops();
    expect(done.getSnapshot().status).toBe('done');
  });

  it('keeps an operator-stopped server down at start and through a config change, until started', async () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'b' })], undefined, undefined, { b: 'stopped', gone: 'stopped' });
    expect(t.world.launches.map((l) => l.instance)).toEqual(['a']);
    expect(t.stateOf('b')).toBe('stopped');
    expect(t.root.getSnapshot().context.overrides).toEqual({ b: 'stopped' });
    t.root.send({ type: 'config.changed', servers: [spec({ name: 'a' }), spec({ name: 'b', startupTimeoutMs: 999 })], replaced: ['b'] });
    await flush();
    expect(t.world.launches.map((l) => l.instance)).toEqual(['a']);
    expect(t.stateOf('b~2')).toBe('stopped');
    expect(t.children().b).toBeUndefined(); // the old instance retired at once
    t.root.send({ type: 'server.start', name: 'b' });
    await flush();
    expect(t.stateOf('b~2')).toBe('starting');
    expect(t.root.getSnapshot().context.overrides).toEqual({});
  });

  it('starts a disabled server an operator started, and records stop of an enabled one', () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'off', enabled: false })], undefined, undefined, { off: 'running' });
    expect(t.world.launches.map((l) => l.instance)).toEqual(['a', 'off']);
    t.root.send({ type: 'server.stop', name: 'a' });
    t.root.send({ type: 'server.stop', name: 'off' });
    expect(t.root.getSnapshot().context.overrides).toEqual({ a: 'stopped' });
    t.root.send({ type: 'server.restart', name: 'a' });
    expect(t.root.getSnapshot().context.overrides).toEqual({});
  });

  it('applies a config change to added, removed and changed servers only', async () => {
    const t = boot([spec({ name: 'keep' }), spec({ name: 'drop' }), spec({ name: 'edit' })]);
    for (const n of ['keep', 'drop', 'edit']) await t.world.ready(n);
    const launchesBefore = t.world.launches.length;
    t.root.send({
      type: 'config.changed',
      servers: [spec({ name: 'keep' }), spec({ name: 'edit', startupTimeoutMs: 1_234 }), spec({ name: 'new' })],
      replaced: ['edit'],
    });
    await flush();
    expect(t.stateOf('keep')).toBe('healthy');
    expect(t.children().drop).toBeUndefined();
    expect(t.stateOf('new')).toBe('starting');
    const relaunched = t.world.launches
      .slice(launchesBefore)
      .map((l) => l.instance)
      .sort();
    expect(relaunched).toEqual(['edit~2', 'new']);
    expect(t.world.stops).toEqual(['drop']);
  });

  it('replaces a changed server without downtime: the old one serves until the new one is ready', async () => {
    const t = boot([spec({ name: 'edit' })]);
    await t.world.ready('edit');
    t.root.send({ type: 'config.changed', servers: [spec({ name: 'edit', startupTimeoutMs: 1_234 })], replaced: ['edit'] });
    await flush();
    // both exist; the old one still serves
    expect(t.stateOf('edit')).toBe('healthy');
    expect(t.stateOf('edit~2')).toBe('starting');
    expect(t.root.getSnapshot().context.instances.edit).toEqual(['edit']);
    await t.world.ready('edit~2');
    // switched: the new one is the server now, the old one drained and stopped
    expect(t.root.getSnapshot().context.instances.edit).toEqual(['edit~2']);
    expect(t.world.stops).toEqual(['edit']);
    expect(t.children().edit).toBeUndefined();
    const edited = t.children()['edit~2']!.getSnapshot() as ServerSnapshot;
    expect(edited.context.spec.startupTimeoutMs).toBe(1_234);
  });

  it('a replacement that fails to start is dropped; the old instance keeps serving', async () => {
    const t = boot([spec({ name: 'edit' })]);
    await t.world.ready('edit');
    t.root.send({ type: 'config.changed', servers: [spec({ name: 'edit', startupTimeoutMs: 999 })], replaced: ['edit'] });
    await flush();
    await t.world.failLaunch({ code: 'SPAWN_FAILED', message: 'command not found: "nope"' }, 'edit~2');
    expect(t.stateOf('edit')).toBe('healthy');
    expect(t.children()['edit~2']).toBeUndefined();
    expect(t.root.getSnapshot().context.instances.edit).toEqual(['edit']);
    expect(t.root.getSnapshot().context.replaceFailures.edit).toMatch(/SPAWN_FAILED: command not found/);
  });

  it('a retiring instance leaves routing and waits for its calls to finish', async () => {
    const world = new FakeWorld();
    let finishCalls!: () => void;
    const drain = fromPromise<void, InstanceRef>(() => new Promise<void>((resolve) => (finishCalls = resolve)));
    const t = boot([spec({ name: 'edit' })], world, serverMachine.provide({ actors: { ...world.actors, drain } }));
    await t.world.ready('edit');
    t.root.send({ type: 'config.changed', servers: [spec({ name: 'edit', startupTimeoutMs: 4_321 })], replaced: ['edit'] });
    await flush();
    await t.world.ready('edit~2');
    const old = t.children().edit!.getSnapshot() as ServerSnapshot;
    expect(old.value).toBe('draining');
    expect(old.hasTag('routable')).toBe(false);
    expect(t.world.stops).toEqual([]);
    finishCalls();
    await flush();
    expect(t.world.stops).toEqual(['edit']);
  });

  it('holds its instances outside its snapshot children: spawns and stops copy no record of them', async () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'b', replicas: 2 })]);
    for (const id of ['a', 'b#1', 'b#2']) await t.world.ready(id);
    expect(Object.keys(t.root.getSnapshot().children)).toEqual([]);
    const refs = Object.values(t.children()) as AnyActorRef[];
    // still its children: their reports and ends reach it, and it stops them at its end
    expect(refs.every((ref) => ref._parent === t.root)).toBe(true);
    t.root.send({ type: 'manager.shutdown' });
    await flush();
    expect(t.root.getSnapshot().status).toBe('done');
    expect(refs.map((ref) => (ref.getSnapshot() as { status: string }).status)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(t.root.getSnapshot().context.pool.size).toBe(0);
  });

  it('lets the actor of a retired instance go', async () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'drop' })]);
    await t.world.ready('a');
    await t.world.ready('drop');
    const dropped = t.children().drop!;
    t.root.send({ type: 'config.changed', servers: [spec({ name: 'a' })], replaced: [] });
    await flush();
    expect(dropped.getSnapshot().status).toBe('done');
    expect(t.root.getSnapshot().context.pool.instances()).toEqual(['a']);
  });

  it('removes every instance it holds when it is stopped from outside, not through its end', async () => {
    const t = boot([spec({ name: 'a' }), spec({ name: 'b' })]);
    await t.world.ready('a');
    await t.world.ready('b');
    const refs = Object.values(t.children()) as AnyActorRef[];
    t.root.stop();
    await flush();
    expect(t.world.stops.sort()).toEqual(['a', 'b']);
    expect(refs.map((ref) => (ref.getSnapshot() as ServerSnapshot).value)).toEqual(['removed', 'removed']);
  });

  it('a server actor that throws is replaced; siblings and the supervisor live on', async () => {
    const world = new FakeWorld();
    let throws = 1;
    const buggy = serverMachine.provide({
      actors: world.actors,
      actions: {
        recordCatalog: () => {
          if (throws-- > 0) throw new Error('bug in an action');
        },
      },
    });
    const t = boot([spec({ name: 'a' }), spec({ name: 'b' })], world, buggy);
    await t.world.ready('a');
    await t.world.ready('b');
    const before = t.children().a;
    before!.send({ type: 'server.catalog', tools: [] });
    await flush();
    expect(t.root.getSnapshot().status).toBe('active');
    expect(t.errors).toEqual([]);
    expect(t.children().a).toBeDefined();
    expect(t.children().a).not.toBe(before);
    expect(t.stateOf('a')).toBe('starting');
    expect(t.stateOf('b')).toBe('healthy');
    expect(t.root.getSnapshot().context.crashes).toEqual({ a: 1 });
  });
});

describe('supervisor helpers', () => {
  it('names instances by replica', () => {
    expect(instanceIds({ name: 'x', replicas: 1 })).toEqual(['x']);
    expect(instanceIds({ name: 'x', replicas: 2 })).toEqual(['x#1', 'x#2']);
    expect(instanceIds({ name: 'x', replicas: 2 }, 3)).toEqual(['x#1~3', 'x#2~3']);
    expect(serverOfInstance('a-b#2~3')).toBe('a-b');
    expect(serverOfInstance('a-b~2')).toBe('a-b');
    expect(serverOfInstance('a-b')).toBe('a-b');
  });
});
