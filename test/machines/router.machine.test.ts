import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { routerMachine, type RoutePolicy } from '../../machines/router.machine.js';

const policy: RoutePolicy = {
  loadBalancing: 'round_robin',
  sessionAffinity: false,
  maxConcurrentRequests: 4,
  queueTimeoutMs: 1000,
  maxQueuedRequests: 8,
  retryTools: [],
};

const up = (instance: string, server: string) =>
  ({ type: 'route.instance', instance, server, state: 'healthy', routable: true, preferred: true }) as const;

describe('router', () => {
  it('keeps instances by server in instance order, and forgets them one by one', () => {
    const router = createActor(routerMachine).start();
    router.send({ type: 'route.policy', server: 'b', policy });
    for (const id of ['b#2', 'a', 'b#1', 'b#3']) router.send(up(id, id.startsWith('b') ? 'b' : 'a'));
    let { byServer, instances, policies, version } = router.getSnapshot().context;
    expect(Object.fromEntries(byServer)).toEqual({ a: ['a'], b: ['b#1', 'b#2', 'b#3'] });
    expect([...instances.keys()].sort()).toEqual(['a', 'b#1', 'b#2', 'b#3']);
    expect(policies.get('b')).toEqual(policy);
    expect(version).toBe(5);

    router.send({ type: 'route.forget', instance: 'b#2' });
    router.send({ type: 'route.forget', instance: 'nope' }); // unknown: no change
    ({ byServer, instances, version } = router.getSnapshot().context);
    expect(Object.fromEntries(byServer)).toEqual({ a: ['a'], b: ['b#1', 'b#3'] });
    expect(instances.has('b#2')).toBe(false);
    expect(version).toBe(6);

    router.send({ type: 'route.server.removed', server: 'b' });
    ({ byServer, instances, policies } = router.getSnapshot().context);
    expect([...byServer.keys()]).toEqual(['a']);
    expect([...instances.keys()]).toEqual(['a']);
    expect(policies.has('b')).toBe(false);
  });

  it('leaves an earlier snapshot as it was: every change makes new tables', () => {
    const router = createActor(routerMachine).start();
    router.send(up('a', 'a'));
    const before = router.getSnapshot().context;
    router.send({ ...up('a', 'a'), state: 'unhealthy', routable: false, preferred: false });
    router.send(up('b', 'b'));
    router.send({ type: 'route.policy', server: 'a', policy });
    router.send({ type: 'route.forget', instance: 'a' });
    expect(before.instances.get('a')).toEqual({ server: 'a', state: 'healthy', routable: true, preferred: true });
    expect([...before.instances.keys()]).toEqual(['a']);
    expect(Object.fromEntries(before.byServer)).toEqual({ a: ['a'] });
    expect(before.policies.size).toBe(0);
    const after = router.getSnapshot().context;
    expect([...after.instances.keys()]).toEqual(['b']);
    // two routers never share tables
    expect(createActor(routerMachine).start().getSnapshot().context.instances.size).toBe(0);
  });

  it('closes once for a stopping manager: nothing routable or coming back, later changes ignored', () => {
    const router = createActor(routerMachine).start();
    router.send({ type: 'route.policy', server: 'b', policy });
    for (const id of ['a', 'b#1', 'b#2']) router.send(up(id, id.startsWith('b') ? 'b' : 'a'));
    const before = router.getSnapshot().context;
    router.send({ type: 'route.closing' });
    const closed = router.getSnapshot().context;
    expect(router.getSnapshot().matches('closing')).toBe(true);
    expect(closed.version).toBe(before.version + 1);
    expect([...closed.instances.values()].map((r) => [r.state, r.routable, r.preferred])).toEqual(
      Array.from({ length: 3 }, () => ['stopping', false, false]),
    );
    expect(Object.fromEntries(closed.byServer)).toEqual({ a: ['a'], b: ['b#1', 'b#2'] });
    // what the instances do on their way down changes nothing
    router.send(up('a', 'a'));
    router.send({ type: 'route.forget', instance: 'b#1' });
    expect(router.getSnapshot().context).toBe(closed);
    // the table it closed was not touched
    expect(before.instances.get('a')?.routable).toBe(true);
  });
});
