import { afterEach, describe, expect, it } from 'vitest';
import { createActor, type SimulatedClock } from 'xstate';
import { serverMachine } from '../../machines/server.machine.js';
import { supervisorMachine, type SupervisorActor } from '../../machines/supervisor.machine.js';
import type { Transition } from '../../src/control/transitions.js';
import { createFeed } from '../../src/supervisor/feed.js';
import { FakeWorld, flush, newClock, shutDown, spec } from '../machines/harness.js';

let root: SupervisorActor | undefined;
let rootClock: SimulatedClock | undefined;
afterEach(() => shutDown(root, rootClock));

function boot(historyLimit?: number) {
  const world = new FakeWorld();
  const clock = newClock();
  rootClock = clock;
  const server = serverMachine.provide({ actors: world.actors });
  root = createActor(supervisorMachine.provide({ actors: { server } }), {
    clock,
    input: { servers: [spec({ name: 'a' }), spec({ name: 'b', replicas: 2 })] },
  });
  const feed = createFeed(root, { historyLimit, now: () => clock.now() });
  const seen: Transition[] = [];
  feed.on((t) => seen.push(t));
  root.start();
  return { world, clock, feed, seen, root };
}

describe('transition feed (subscriptions, no inspect)', () => {
  it('reports every instance coming up, in order, with increasing sequence numbers', async () => {
    const t = boot();
    expect(t.feed.instances().sort()).toEqual(['a', 'b#1', 'b#2']);
    await t.world.ready('a');
    const ofA = t.feed.history('a').map((x) => `${x.from}→${x.to}`);
    expect(ofA).toEqual(['null→starting', 'starting→healthy']);
    const seqs = t.seen.map((x) => x.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(t.feed.history('a').at(-1)).toMatchObject({ server: 'a', event: 'xstate.done.actor.launch', pid: 4242 });
  });

  it('carries the exit as the cause of restarting, then the backoff as the cause of starting', async () => {
    const t = boot();
    await t.world.ready('b#1');
    await t.world.exit('b#1', null, 'SIGKILL');
    const restarting = t.feed.history('b#1').find((x) => x.to === 'restarting');
    expect(restarting).toMatchObject({ server: 'b', event: 'server.exited', signal: 'SIGKILL', restarts: 1 });
    expect(restarting?.reason).toContain('SIGKILL');
    t.clock.increment(1_000);
    await flush();
    expect(t.feed.history('b#1').at(-1)).toMatchObject({ from: 'restarting', to: 'starting', event: 'xstate.after.restartBackoff' });
  });

  it('says `removed` when an instance leaves, and keeps its history afterwards', async () => {
    const t = boot();
    await t.world.ready('a');
    t.root.send({ type: 'config.changed', servers: [spec({ name: 'b', replicas: 2 })], replaced: [] });
    await flush();
    expect(t.feed.instances()).not.toContain('a');
    const last = t.feed.history('a').at(-1);
    expect(last).toMatchObject({ to: 'removed', reason: 'config changed' });
    expect(t.feed.snapshotOf('a')).toBeUndefined();
  });

  it('says `removed` once per instance when the manager shuts down, and follows no stopped actor again', async () => {
    const t = boot();
    for (const id of ['a', 'b#1', 'b#2']) await t.world.ready(id);
    t.root.send({ type: 'manager.shutdown' });
    await flush();
    expect(t.root.getSnapshot().status).toBe('done');
    for (const id of ['a', 'b#1', 'b#2']) {
      const removed = t.feed.history(id).filter((x) => x.to === 'removed');
      expect(removed, id).toHaveLength(1);
      expect(t.feed.history(id).map((x) => x.to)).toEqual(['starting', 'healthy', 'stopping', 'stopped', 'removed']);
    }
    expect(t.feed.instances()).toEqual([]);
  });

  it('keeps a bounded history per instance', async () => {
    const t = boot(3);
    await t.world.ready('a');
    for (let i = 0; i < 4; i++) {
      t.root.send({ type: 'server.restart', name: 'a' });
      await flush();
      await t.world.ready('a');
    }
    expect(t.feed.history('a')).toHaveLength(3);
    expect(t.feed.history('a').at(-1)?.to).toBe('healthy');
  });
});
