/**
 * The hot path: pick an instance for a request from the router's current table
 * (synchronously), hold a concurrency slot on it, queue (bounded) when every instance is
 * busy or on its way back, and fail clearly when there is nothing to wait for.
 */
import type { ActorRefFrom } from 'xstate';
import { COMING_BACK, type RoutePolicy, type routerMachine } from '../../machines/router.machine.js';
import { ManagerError } from '../errors.js';
import type { Session, SessionRegistry } from '../server-actor/session.js';
import { BALANCERS, type Balancer, type Candidate } from './balance.js';

export interface Lease {
  readonly server: string;
  readonly instance: string;
  readonly session: Session;
}

export interface AcquireOptions {
  /** Pins a client session to one instance when the server asks for affinity. */
  affinityKey?: string;
  /** Go to this instance while it can take requests (the one an input round came from). */
  prefer?: string;
  /** Instances already tried (failover). */
  exclude?: ReadonlySet<string>;
  signal?: AbortSignal;
}

interface Waiter {
  options: AcquireOptions;
  resolve(lease: Lease): void;
  reject(error: unknown): void;
}

export class Dispatcher {
  private readonly load = new Map<string, number>();
  private readonly queues = new Map<string, Waiter[]>();
  private readonly balancers = new Map<string, Balancer>();
  /** affinity key → server → instance */
  private readonly pins = new Map<string, Map<string, string>>();
  private readonly idleWaiters = new Map<string, (() => void)[]>();
  /** Requests asked of each server since start (for calls/s in `status --watch`). */
  private readonly requested = new Map<string, number>();

  constructor(
    private readonly router: ActorRefFrom<typeof routerMachine>,
    private readonly sessions: SessionRegistry,
  ) {
    router.subscribe(() => this.drainAll());
  }

  /** Get a slot on an instance of `server`, waiting (bounded) when none is free. */
  acquire(server: string, options: AcquireOptions = {}): Promise<Lease> {
    this.requested.set(server, (this.requested.get(server) ?? 0) + 1);
    const lease = this.tryAcquire(server, options);
    if (lease) return Promise.resolve(lease);
    const policy = this.policy(server);
    if (!this.worthWaiting(server, options)) {
      return Promise.reject(
        this.closing()
          ? stopping(server)
          : new ManagerError('SERVER_UNAVAILABLE', `server "${server}" is not running (no instance can take requests)`, {
              data: { server },
            }),
      );
    }
    const queue = this.queues.get(server) ?? [];
    if (queue.length >= policy.maxQueuedRequests) {
      return Promise.reject(
        new ManagerError('SERVER_BUSY', `server "${server}" is busy: ${queue.length} requests already waiting`, { data: { server } }),
      );
    }
    return new Promise<Lease>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const q = this.queues.get(server);
        const i = q?.indexOf(waiter) ?? -1;
        if (q && i >= 0) q.splice(i, 1);
      };
      const waiter: Waiter = {
        options,
        resolve: (lease) => {
          cleanup();
          resolve(lease);
        },
        reject: (error) => {
          cleanup();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      const timer = setTimeout(() => {
        const why = this.anyRoutable(server, options) ? 'every instance stayed busy' : 'it did not come back';
        waiter.reject(
          new ManagerError('SERVER_UNAVAILABLE', `server "${server}" did not take the request within ${policy.queueTimeoutMs} ms: ${why}`, {
            data: { server, queueTimeoutMs: policy.queueTimeoutMs },
          }),
        );
      }, policy.queueTimeoutMs);
      const onAbort = () => waiter.reject(options.signal?.reason ?? new Error('aborted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      this.queues.set(server, queue);
    });
  }

  /** A slot right now, or undefined when that would mean waiting (or failing): then use acquire(). */
  acquireNow(server: string, options: AcquireOptions = {}): Lease | undefined {
    if (!this.router.getSnapshot().context.policies.get(server)) return undefined;
    const lease = this.tryAcquire(server, options);
    if (lease) this.requested.set(server, (this.requested.get(server) ?? 0) + 1);
    return lease;
  }

  release(lease: Lease): void {
    const n = (this.load.get(lease.instance) ?? 1) - 1;
    if (n <= 0) {
      this.load.delete(lease.instance);
      for (const resolve of this.idleWaiters.get(lease.instance) ?? []) resolve();
      this.idleWaiters.delete(lease.instance);
    } else {
      this.load.set(lease.instance, n);
    }
    this.drain(lease.server);
  }

  /** Resolves once the instance has no request in flight (a retiring instance drains). */
  /** How many requests were asked of `server` since the manager started. */
  requestCount(server: string): number {
    return this.requested.get(server) ?? 0;
  }

  whenIdle(instance: string): Promise<void> {
    if (!this.load.get(instance)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.set(instance, [...(this.idleWaiters.get(instance) ?? []), resolve]));
  }

  /** Requests in flight on an instance (metrics). */
  inflight(instance: string): number {
    return this.load.get(instance) ?? 0;
  }

  /** Requests waiting for a slot on an instance of a server (metrics). */
  queued(server: string): number {
    return this.queues.get(server)?.length ?? 0;
  }

  /** Forget a client session's pins (its session ended). */
  forgetAffinity(key: string): void {
    this.pins.delete(key);
  }

  private policy(server: string): RoutePolicy {
    const policy = this.router.getSnapshot().context.policies.get(server);
    if (!policy) throw new ManagerError('SERVER_NOT_FOUND', `no server named "${server}"`, { data: { server } });
    return policy;
  }

  private tryAcquire(server: string, options: AcquireOptions): Lease | undefined {
    const policy = this.policy(server);
    const { instances, byServer } = this.router.getSnapshot().context;
    const candidates: Candidate[] = [];
    for (const id of byServer.get(server) ?? []) {
      const route = instances.get(id);
      if (!route?.routable || options.exclude?.has(id)) continue;
      const load = this.load.get(id) ?? 0;
      if (load >= policy.maxConcurrentRequests) continue;
      // a session whose process just ended is not a candidate, even before the table says so
      if (!this.sessions.get(id)?.transport.running) continue;
      candidates.push({ instance: id, load, preferred: route.preferred });
    }
    const pinned =
      options.prefer !== undefined && byServer.get(server)?.includes(options.prefer)
        ? options.prefer
        : policy.sessionAffinity && options.affinityKey
          ? this.pins.get(options.affinityKey)?.get(server)
          : undefined;
    let chosen: Candidate | undefined;
    if (pinned !== undefined && instances.get(pinned)?.routable && !options.exclude?.has(pinned)) {
      // stay on the pinned instance while it lives, even if that means waiting for a slot
      chosen = candidates.find((c) => c.instance === pinned);
      if (!chosen) return undefined;
    } else {
      chosen = this.balancer(server, policy).pick(candidates);
    }
    if (!chosen) return undefined;
    const session = this.sessions.get(chosen.instance)!;
    this.load.set(chosen.instance, chosen.load + 1);
    if (policy.sessionAffinity && options.affinityKey) {
      const pins = this.pins.get(options.affinityKey) ?? new Map<string, string>();
      pins.set(server, chosen.instance);
      this.pins.set(options.affinityKey, pins);
    }
    return { server, instance: chosen.instance, session };
  }

  private balancer(server: string, policy: RoutePolicy): Balancer {
    let balancer = this.balancers.get(`${server}\0${policy.loadBalancing}`);
    if (!balancer) {
      balancer = BALANCERS[policy.loadBalancing]();
      this.balancers.set(`${server}\0${policy.loadBalancing}`, balancer);
    }
    return balancer;
  }

  private anyRoutable(server: string, options: AcquireOptions): boolean {
    const { instances, byServer } = this.router.getSnapshot().context;
    return (byServer.get(server) ?? []).some((id) => instances.get(id)?.routable && !options.exclude?.has(id));
  }

  /** Waiting makes sense while some instance is routable (busy) or on its way back (and the manager is not stopping). */
  private worthWaiting(server: string, options: AcquireOptions): boolean {
    if (this.closing()) return false;
    const { instances, byServer } = this.router.getSnapshot().context;
    return (byServer.get(server) ?? []).some((id) => {
      const route = instances.get(id);
      if (!route) return false;
      if (route.routable && !options.exclude?.has(id)) return true;
      return COMING_BACK.has(route.state);
    });
  }

  private drain(server: string): void {
    const queue = this.queues.get(server);
    if (!queue?.length) return;
    while (queue.length > 0) {
      const waiter = queue[0]!;
      const lease = this.tryAcquire(server, waiter.options);
      if (!lease) break;
      waiter.resolve(lease);
    }
    // nothing left to wait for: fail the waiters now instead of at their timeout
    if (queue.length > 0 && !this.worthWaiting(server, {})) {
      const closing = this.closing();
      for (const waiter of [...queue]) {
        waiter.reject(
          closing
            ? stopping(server)
            : new ManagerError('SERVER_UNAVAILABLE', `server "${server}" stopped (no instance can take requests)`, { data: { server } }),
        );
      }
    }
  }

  /** The manager is stopping (the router closed). */
  private closing(): boolean {
    return this.router.getSnapshot().matches('closing');
  }

  private drainAll(): void {
    for (const server of this.queues.keys()) {
      if (this.router.getSnapshot().context.policies.get(server)) this.drain(server);
    }
  }
}

function stopping(server: string): ManagerError {
  return new ManagerError('SERVER_UNAVAILABLE', `server "${server}" cannot take requests: the manager is stopping`, { data: { server } });
}
