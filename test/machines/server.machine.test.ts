import { afterEach, describe, expect, it } from 'vitest';
import { createActor, type SimulatedClock } from 'xstate';
import { publicState } from '../../machines/index.js';
import { serverMachine, type ServerActor } from '../../machines/server.machine.js';
import type { ServerSpec } from '../../machines/events.js';
import { FakeWorld, flush, newClock, spec } from './harness.js';

let actor: ServerActor | undefined;
afterEach(() => actor?.stop());

function boot(overrides: Partial<ServerSpec> = {}, autoStart = true) {
  const world = new FakeWorld();
  const clock = newClock();
  actor = createActor(serverMachine.provide({ actors: world.actors }), {
    clock,
    input: { instance: 'alpha', spec: spec(overrides), autoStart },
  });
  actor.start();
  return { world, clock, actor, state: () => publicState(actor!.getSnapshot()), ctx: () => actor!.getSnapshot().context };
}

async function advance(clock: SimulatedClock, ms: number): Promise<void> {
  clock.increment(ms);
  await flush();
}

const crash = { code: 'SERVER_EXITED', message: 'exited with code 1', exitCode: 1, signal: null, stderrTail: ['boom'] };

describe('server chart: start and stop', () => {
  it('waits in stopped when not auto-started, then starts on server.start', async () => {
    const t = boot({}, false);
    expect(t.state()).toBe('stopped');
    t.actor.send({ type: 'server.start' });
    expect(t.state()).toBe('starting');
    await t.world.ready(undefined, ['echo', 'add']);
    expect(t.state()).toBe('healthy');
    expect(t.ctx().tools).toEqual(['echo', 'add']);
    expect(t.ctx().pid).toBe(4242);
    expect(t.actor.getSnapshot().hasTag('routable')).toBe(true);
  });

  it('a disabled server stays stopped', () => {
    const t = boot({ enabled: false });
    expect(t.state()).toBe('stopped');
    expect(t.world.launches).toHaveLength(0);
  });

  it('stop passes through stopping (the invoked stop ladder) to stopped', async () => {
    const t = boot();
    await t.world.ready();
    t.world.holdStops = true;
    t.actor.send({ type: 'server.stop' });
    expect(t.state()).toBe('stopping');
    expect(t.world.stops).toEqual(['alpha']);
    await t.world.releaseStops();
    expect(t.state()).toBe('stopped');
    expect(t.ctx().pid).toBeNull();
  });

  it('a stop that hangs is abandoned at the stop deadline', async () => {
    const t = boot({ stopGraceMs: 100, stopTimeoutMs: 1_000 });
    await t.world.ready();
    t.world.holdStops = true;
    t.actor.send({ type: 'server.stop' });
    await advance(t.clock, 100 + 1_000 + 4_999);
    expect(t.state()).toBe('stopping');
    await advance(t.clock, 1);
    expect(t.state()).toBe('stopped');
  });

  it('stop during starting aborts the launch and stops', async () => {
    const t = boot();
    t.actor.send({ type: 'server.stop' });
    await flush();
    expect(t.state()).toBe('stopped');
    expect(t.world.stops).toEqual(['alpha']);
  });

  it('manual restart re-runs the whole launch (fresh catalog) with a fresh budget', async () => {
    const t = boot();
    await t.world.ready(undefined, ['old']);
    t.actor.send({ type: 'server.restart' });
    await flush();
    expect(t.state()).toBe('starting');
    expect(t.world.launches).toHaveLength(2);
    await t.world.ready(undefined, ['new']);
    expect(t.state()).toBe('healthy');
    expect(t.ctx().tools).toEqual(['new']);
    expect(t.ctx().restarts).toBe(0);
  });

  it('server.remove ends the actor after the stop', async () => {
    const t = boot();
    await t.world.ready();
    t.actor.send({ type: 'server.remove' });
    await flush();
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.world.stops).toEqual(['alpha']);
  });
});

describe('server chart: failures, backoff, intensity', () => {
  it('the first crash of a stable server restarts at once (counted), the second after the backoff', async () => {
    const t = boot();
    await t.world.ready();
    await t.world.exit('alpha', 1);
    expect(t.state()).toBe('restarting');
    expect(t.world.stops).toEqual(['alpha']);
    expect(t.ctx().lastError?.code).toBe('SERVER_EXITED');
    expect(t.ctx().nextRestartDelayMs).toBe(0);
    expect(t.ctx().restarts).toBe(1);
    await advance(t.clock, 0);
    expect(t.state()).toBe('starting');
    await t.world.ready();
    expect(t.state()).toBe('healthy');
    await t.world.exit('alpha', 1);
    expect(t.state()).toBe('restarting');
    expect(t.ctx().nextRestartDelayMs).toBe(1_000);
    await advance(t.clock, 999);
    expect(t.state()).toBe('restarting');
    await advance(t.clock, 1);
    expect(t.state()).toBe('starting');
    await t.world.ready();
    expect(t.ctx().restarts).toBe(2);
  });

  it('backoff grows ×2 up to the cap', async () => {
    const t = boot({ maxRestarts: 100, backoff: { initialMs: 1_000, multiplier: 2, maxMs: 8_000, jitter: 0, resetAfterMs: 60_000 } });
    const seen: (number | null)[] = [];
    for (let i = 0; i < 6; i++) {
      await t.world.failLaunch(crash);
      expect(t.state()).toBe('restarting');
      seen.push(t.ctx().nextRestartDelayMs);
      await advance(t.clock, t.ctx().nextRestartDelayMs!);
      expect(t.state()).toBe('starting');
    }
    expect(seen).toEqual([0, 1_000, 2_000, 4_000, 8_000, 8_000]);
  });

  it('backoff resets after stable uptime', async () => {
    const t = boot({ maxRestarts: 100 });
    for (let i = 0; i < 3; i++) {
      await t.world.failLaunch(crash);
      await advance(t.clock, t.ctx().nextRestartDelayMs!);
    }
    await t.world.ready();
    expect(t.ctx().restartAttempt).toBe(3);
    await advance(t.clock, 59_999);
    expect(t.ctx().restartAttempt).toBe(3);
    await advance(t.clock, 1);
    expect(t.ctx().restartAttempt).toBe(0);
    // stable again: the next crash is a first one, restarted at once
    await t.world.exit('alpha', 1);
    expect(t.ctx().nextRestartDelayMs).toBe(0);
  });

  it('more than max_restarts inside the window → failed, with the reason kept', async () => {
    const t = boot({ maxRestarts: 3, restartWindowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      await t.world.failLaunch(crash);
      expect(t.state()).toBe('restarting');
      await advance(t.clock, t.ctx().nextRestartDelayMs!);
    }
    await t.world.failLaunch(crash);
    expect(t.state()).toBe('failed');
    expect(t.ctx().lastError).toMatchObject({ code: 'SERVER_EXITED', exitCode: 1, stderrTail: ['boom'] });
    // stays down: no timer brings it back
    await advance(t.clock, 600_000);
    expect(t.state()).toBe('failed');
    // until someone starts it again, with a fresh budget
    t.actor.send({ type: 'server.restart' });
    expect(t.state()).toBe('starting');
    expect(t.ctx().recentRestarts).toBe(0);
  });

  it('restarts spread wider than the window never exhaust the budget', async () => {
    const t = boot({
      maxRestarts: 2,
      restartWindowMs: 10_000,
      backoff: { initialMs: 1_000, multiplier: 1, maxMs: 1_000, jitter: 0, resetAfterMs: 600_000 },
    });
    await t.world.ready();
    for (let i = 0; i < 6; i++) {
      await advance(t.clock, 10_000);
      await t.world.exit('alpha', 1);
      expect(t.state()).toBe('restarting');
      await advance(t.clock, 1_000);
      await t.world.ready();
      expect(t.state()).toBe('healthy');
    }
    expect(t.ctx().restarts).toBe(6);
  });

  it('a server that never answers initialize reaches failed, though its timeouts spread past the window', async () => {
    // 30 s timeouts + backoff: each failure leaves the 10 s window before the next one
    const t = boot({
      maxRestarts: 2,
      restartWindowMs: 10_000,
      startupTimeoutMs: 30_000,
      backoff: { initialMs: 5_000, multiplier: 1, maxMs: 5_000, jitter: 0, resetAfterMs: 600_000 },
    });
    for (let i = 0; i < 2; i++) {
      await advance(t.clock, 30_000);
      expect(t.state()).toBe('restarting');
      await advance(t.clock, 5_000);
      expect(t.state()).toBe('starting');
    }
    // the sliding window alone would allow another restart
    expect(t.ctx().recentRestarts).toBeLessThan(2);
    await advance(t.clock, 30_000);
    expect(t.state()).toBe('failed');
    expect(t.ctx().lastError?.code).toBe('INITIALIZE_TIMEOUT');
    await advance(t.clock, 600_000);
    expect(t.state()).toBe('failed');
    // a manual start gets a fresh budget; a successful initialize clears the count
    t.actor.send({ type: 'server.start' });
    await t.world.ready();
    expect(t.state()).toBe('healthy');
    expect(t.ctx().failedStarts).toBe(0);
  });

  it('failed starts after a successful initialize count afresh', async () => {
    const t = boot({
      maxRestarts: 1,
      restartWindowMs: 1_000,
      backoff: { initialMs: 2_000, multiplier: 1, maxMs: 2_000, jitter: 0, resetAfterMs: 600_000 },
    });
    for (let i = 0; i < 3; i++) {
      await t.world.ready();
      await t.world.exit('alpha', 1);
      expect(t.state()).toBe('restarting');
      await advance(t.clock, 2_000);
      await t.world.failLaunch(crash);
      expect(t.state()).toBe('restarting');
      await advance(t.clock, 2_000);
    }
  });

  it('startup timeout counts as a failure', async () => {
    const t = boot({ startupTimeoutMs: 5_000 });
    await advance(t.clock, 4_999);
    expect(t.state()).toBe('starting');
    await advance(t.clock, 1);
    expect(t.state()).toBe('restarting');
    expect(t.ctx().lastError?.code).toBe('INITIALIZE_TIMEOUT');
  });

  it('a command that cannot be spawned fails at once with the reason', async () => {
    const t = boot();
    await t.world.failLaunch({ code: 'SPAWN_FAILED', message: 'command not found: "nope"' });
    expect(t.state()).toBe('failed');
    expect(t.ctx().lastError?.message).toContain('command not found');
    expect(t.ctx().restarts).toBe(0);
  });

  it('restart types: permanent restarts even after a clean exit', async () => {
    const t = boot({ restart: 'permanent' });
    await t.world.ready();
    await t.world.exit('alpha', 0);
    expect(t.state()).toBe('restarting');
  });

  it('restart types: transient stops after a clean exit, restarts after a crash', async () => {
    const t = boot({ restart: 'transient' });
    await t.world.ready();
    await t.world.exit('alpha', 0);
    expect(t.state()).toBe('stopped');
    t.actor.send({ type: 'server.start' });
    await t.world.ready();
    await t.world.exit('alpha', null, 'SIGSEGV');
    expect(t.state()).toBe('restarting');
  });

  it('restart types: temporary never restarts', async () => {
    const t = boot({ restart: 'temporary' });
    await t.world.ready();
    await t.world.exit('alpha', 2);
    expect(t.state()).toBe('failed');
    expect(t.ctx().restarts).toBe(0);
  });

  it('jitter comes from the seed it is given: the same seed replays the same delays', async () => {
    const jittered = { maxRestarts: 100, backoff: { initialMs: 1_000, multiplier: 2, maxMs: 30_000, jitter: 0.2, resetAfterMs: 600_000 } };
    const delaysOf = async (seed: number) => {
      const world = new FakeWorld();
      const clock = newClock();
      const a = createActor(serverMachine.provide({ actors: world.actors }), {
        clock,
        input: { instance: 'alpha', spec: spec(jittered), autoStart: true, seed },
      });
      a.start();
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) {
        await world.failLaunch(crash);
        seen.push(a.getSnapshot().context.nextRestartDelayMs!);
        clock.increment(a.getSnapshot().context.nextRestartDelayMs!);
        await flush();
      }
      a.stop();
      return seen;
    };
    const first = await delaysOf(1234);
    expect(await delaysOf(1234)).toEqual(first);
    expect(await delaysOf(999)).not.toEqual(first);
    expect(first[0]).toBe(0);
    first.slice(1).forEach((d, i) => {
      const base = 1_000 * 2 ** i;
      expect(d).toBeGreaterThanOrEqual(base * 0.8);
      expect(d).toBeLessThanOrEqual(base * 1.2);
    });
  });

  it('stop during the backoff stays down', async () => {
    const t = boot();
    await t.world.failLaunch(crash);
    expect(t.state()).toBe('restarting');
    t.actor.send({ type: 'server.stop' });
    expect(t.state()).toBe('stopped');
    await advance(t.clock, 60_000);
    expect(t.state()).toBe('stopped');
  });
});

describe('server chart: health tiers with hysteresis', () => {
  async function healthy() {
    const t = boot({ health: { downAfter: 3, upAfter: 2, criticalGraceMs: 5_000 } });
    await t.world.ready();
    return t;
  }
  const bad = { type: 'health.bad', reason: 'ping timeout' } as const;
  const good = { type: 'health.good' } as const;

  it('drops one tier only after N consecutive bad results', async () => {
    const t = await healthy();
    t.actor.send(bad);
    t.actor.send(bad);
    expect(t.state()).toBe('healthy');
    t.actor.send(bad);
    expect(t.state()).toBe('degraded');
    expect(t.actor.getSnapshot().hasTag('preferred')).toBe(false);
    expect(t.actor.getSnapshot().hasTag('routable')).toBe(true);
  });

  it('moves one tier at a time, down to critical and back up after M good ones', async () => {
    const t = await healthy();
    const tiers: string[] = [];
    for (let i = 0; i < 9; i++) {
      t.actor.send(bad);
      tiers.push(t.state());
    }
    expect(tiers).toEqual(['healthy', 'healthy', 'degraded', 'degraded', 'degraded', 'unhealthy', 'unhealthy', 'unhealthy', 'critical']);
    expect(t.actor.getSnapshot().hasTag('routable')).toBe(false);
    const up: string[] = [];
    for (let i = 0; i < 6; i++) {
      t.actor.send(good);
      up.push(t.state());
    }
    expect(up).toEqual(['critical', 'unhealthy', 'unhealthy', 'degraded', 'degraded', 'healthy']);
  });

  it('critical → restart after the grace period', async () => {
    const t = await healthy();
    for (let i = 0; i < 9; i++) t.actor.send(bad);
    expect(t.state()).toBe('critical');
    await advance(t.clock, 4_999);
    expect(t.state()).toBe('critical');
    await advance(t.clock, 1);
    expect(t.state()).toBe('restarting');
    expect(t.ctx().lastError?.code).toBe('HEALTH_CRITICAL');
    expect(t.world.stops).toEqual(['alpha']);
  });

  it('critical past the grace period: a temporary server does not restart', async () => {
    const t = boot({ restart: 'temporary', health: { downAfter: 3, upAfter: 2, criticalGraceMs: 5_000 } });
    await t.world.ready();
    for (let i = 0; i < 9; i++) t.actor.send(bad);
    expect(t.state()).toBe('critical');
    await advance(t.clock, 5_000);
    expect(t.state()).toBe('failed');
    expect(t.ctx().lastError?.code).toBe('HEALTH_CRITICAL');
    expect(t.ctx().restarts).toBe(0);
    await advance(t.clock, 600_000);
    expect(t.world.launches).toHaveLength(1);
  });

  it('critical again and again: more than max_restarts inside the window → failed', async () => {
    const t = boot({ maxRestarts: 2, restartWindowMs: 600_000, health: { downAfter: 3, upAfter: 2, criticalGraceMs: 5_000 } });
    await t.world.ready();
    const ends: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++) t.actor.send(bad);
      expect(t.state()).toBe('critical');
      await advance(t.clock, 5_000);
      ends.push(t.state());
      if (t.state() !== 'restarting') break;
      await advance(t.clock, t.ctx().nextRestartDelayMs!);
      await t.world.ready();
      expect(t.state()).toBe('healthy');
    }
    expect(ends).toEqual(['restarting', 'restarting', 'failed']);
    expect(t.ctx().restarts).toBe(2);
    expect(t.ctx().lastError?.code).toBe('HEALTH_CRITICAL');
    expect(t.world.launches).toHaveLength(3);
  });

  it('recovering inside the grace period cancels the restart', async () => {
    const t = await healthy();
    for (let i = 0; i < 9; i++) t.actor.send(bad);
    await advance(t.clock, 3_000);
    t.actor.send(good);
    t.actor.send(good);
    expect(t.state()).toBe('unhealthy');
    await advance(t.clock, 10_000);
    expect(t.state()).toBe('unhealthy');
    expect(t.world.stops).toEqual([]);
  });

  it('a monitor-ordered restart (resource limit, wedged) is counted and reported', async () => {
    const t = await healthy();
    t.actor.send({ type: 'health.restart', code: 'MEMORY_LIMIT', reason: 'rss 600 MB over max_memory 512 MB' });
    await flush();
    expect(t.state()).toBe('restarting');
    expect(t.ctx().restarts).toBe(1);
    expect(t.ctx().lastError).toMatchObject({ code: 'MEMORY_LIMIT', message: 'rss 600 MB over max_memory 512 MB' });
    expect(t.world.stops).toEqual(['alpha']);
  });

  it('flapping results never leave healthy and never restart', async () => {
    const t = await healthy();
    for (let i = 0; i < 50; i++) {
      t.actor.send(i % 3 === 2 ? good : bad);
    }
    expect(t.state()).toBe('healthy');
    await advance(t.clock, 60_000);
    expect(t.world.launches).toHaveLength(1);
  });
});
