/**
 * Fakes for the server chart's world: launches and stops the test settles by hand,
 * on a SimulatedClock.
 */
import { fromCallback, fromPromise, SimulatedClock, type AnyActorRef } from 'xstate';
import type { LaunchResult, ServerEvent, ServerSpec } from '../../machines/events.js';
import type { InstanceRef } from '../../machines/server.machine.js';

export function spec(overrides: Partial<ServerSpec> = {}): ServerSpec {
  return {
    name: 'alpha',
    enabled: true,
    replicas: 1,
    restart: 'permanent',
    backoff: { initialMs: 1_000, multiplier: 2, maxMs: 30_000, jitter: 0, resetAfterMs: 60_000 },
    maxRestarts: 5,
    restartWindowMs: 60_000,
    startupTimeoutMs: 10_000,
    stopGraceMs: 100,
    stopTimeoutMs: 1_000,
    health: { downAfter: 3, upAfter: 2, criticalGraceMs: 5_000 },
    drainTimeoutMs: 30_000,
    ...overrides,
  };
}

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Launches wait until the test settles them; stops resolve at once unless held. */
export class FakeWorld {
  readonly launches: { instance: string; deferred: Deferred<LaunchResult> }[] = [];
  readonly stops: string[] = [];
  readonly exitListeners = new Map<string, (exit: { exitCode: number | null; signal: string | null }) => void>();
  holdStops = false;
  private heldStops: (() => void)[] = [];

  readonly actors = {
    launch: fromPromise<LaunchResult, InstanceRef>(
      ({ input }) =>
        new Promise<LaunchResult>((resolve, reject) => {
          this.launches.push({ instance: input.instance, deferred: { resolve, reject } });
        }),
    ),
    watchExit: fromCallback<ServerEvent, InstanceRef>(({ input, sendBack }) => {
      this.exitListeners.set(input.instance, (exit) => sendBack({ type: 'server.exited', ...exit, stderrTail: [] }));
      return () => this.exitListeners.delete(input.instance);
    }),
    stop: fromPromise<void, InstanceRef>(({ input }) => {
      this.stops.push(input.instance);
      if (!this.holdStops) return Promise.resolve();
      return new Promise<void>((resolve) => this.heldStops.push(resolve));
    }),
  };

  lastLaunch(instance?: string) {
    const found = [...this.launches].reverse().find((l) => instance === undefined || l.instance === instance);
    if (!found) throw new Error(`no launch${instance ? ` of ${instance}` : ''}`);
    return found;
  }

  async ready(instance?: string, tools: string[] = ['echo']): Promise<void> {
    this.lastLaunch(instance).deferred.resolve({ pid: 4242, tools, startedAt: 0 });
    await flush();
  }

  async failLaunch(error: unknown, instance?: string): Promise<void> {
    this.lastLaunch(instance).deferred.reject(error);
    await flush();
  }

  async exit(instance: string, exitCode: number | null, signal: string | null = null): Promise<void> {
    const listener = this.exitListeners.get(instance);
    if (!listener) throw new Error(`no exit watch on ${instance}`);
    listener({ exitCode, signal });
    await flush();
  }

  async releaseStops(): Promise<void> {
    const held = this.heldStops;
    this.heldStops = [];
    for (const resolve of held) resolve();
    await flush();
  }
}

/** Let settled promises deliver their done/error events. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * End a test's supervisor as the manager does (`manager.shutdown`, so its final state lets
 * every instance go), then stop it: a supervisor stopped from outside leaves its instances
 * to be removed one by one.
 */
export async function shutDown(root: AnyActorRef | undefined, clock?: SimulatedClock): Promise<void> {
  if (root?.getSnapshot().status === 'active') {
    root.send({ type: 'manager.shutdown' });
    await flush();
    // FakeWorld processes exit on their own; a stop ladder that waits gets its time
    if (clock && root.getSnapshot().status === 'active') {
      clock.increment(60_000);
      await flush();
    }
  }
  root?.stop();
}

export function newClock(): SimulatedClock {
  return new SimulatedClock();
}
