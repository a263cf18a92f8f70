/**
 * The routing actor: owns the routing table — which instance of which server may take
 * requests (routable), which are preferred, which are on their way back — and each
 * server's balancing policy. It changes only on lifecycle events; the gateway reads its
 * snapshot synchronously on every request (no actor work per request).
 */
import { assign, setup, type ActorRefFrom } from 'xstate';
import type { PublicServerState } from './public-state.js';

export type LoadBalancing = 'round_robin' | 'least_loaded';

export interface RoutePolicy {
  loadBalancing: LoadBalancing;
  sessionAffinity: boolean;
  maxConcurrentRequests: number;
  queueTimeoutMs: number;
  /** Requests that may wait beyond those in flight. */
  maxQueuedRequests: number;
  /** Tools safe to repeat on another instance besides those annotated read-only or idempotent. */
  retryTools: string[];
}

export interface InstanceRoute {
  server: string;
  state: PublicServerState;
  routable: boolean;
  preferred: boolean;
}

/**
 * The routing table. Each change makes new maps (snapshots stay immutable: an old snapshot
 * keeps what it saw). Maps, not records: a record that lost a key turns into a slow
 * dictionary whose copies cost milliseconds at a few hundred instances, which made stopping
 * many servers quadratic; a map's copy stays a plain linear copy.
 */
export interface RouterContext {
  instances: ReadonlyMap<string, InstanceRoute>;
  /** Instance ids by server, in instance order. */
  byServer: ReadonlyMap<string, readonly string[]>;
  policies: ReadonlyMap<string, RoutePolicy>;
  /** Bumped on every change; waiters compare it. */
  version: number;
}

export type RouterEvent =
  | { type: 'route.instance'; instance: string; server: string; state: PublicServerState; routable: boolean; preferred: boolean }
  | { type: 'route.forget'; instance: string }
  | { type: 'route.policy'; server: string; policy: RoutePolicy }
  | { type: 'route.server.removed'; server: string }
  | { type: 'route.closing' };

/** States from which an instance comes back on its own: calls may wait for it. */
export const COMING_BACK: ReadonlySet<PublicServerState> = new Set(['starting', 'restarting', 'stopping', 'critical']);

export const routerMachine = setup({
  types: { context: {} as RouterContext, events: {} as RouterEvent },
  actions: {
    setInstance: assign(({ context, event }) => {
      if (event.type !== 'route.instance') return {};
      const { instance, server, state, routable, preferred } = event;
      const ids = context.byServer.get(server) ?? [];
      return {
        instances: new Map(context.instances).set(instance, { server, state, routable, preferred }),
        byServer: ids.includes(instance) ? context.byServer : new Map(context.byServer).set(server, [...ids, instance].sort()),
        version: context.version + 1,
      };
    }),
    forgetInstance: assign(({ context, event }) => {
      if (event.type !== 'route.forget') return {};
      const route = context.instances.get(event.instance);
      if (!route) return {};
      const instances = new Map(context.instances);
      instances.delete(event.instance);
      const ids = (context.byServer.get(route.server) ?? []).filter((id) => id !== event.instance);
      return { instances, byServer: new Map(context.byServer).set(route.server, ids), version: context.version + 1 };
    }),
    setPolicy: assign(({ context, event }) =>
      event.type === 'route.policy'
        ? { policies: new Map(context.policies).set(event.server, event.policy), version: context.version + 1 }
        : {},
    ),
    close: assign(({ context }) => {
      const instances = new Map<string, InstanceRoute>();
      for (const [id, route] of context.instances) instances.set(id, { ...route, state: 'stopping', routable: false, preferred: false });
      return { instances, version: context.version + 1 };
    }),
    removeServer: assign(({ context, event }) => {
      if (event.type !== 'route.server.removed') return {};
      const instances = new Map(context.instances);
      for (const id of context.byServer.get(event.server) ?? []) instances.delete(id);
      const byServer = new Map(context.byServer);
      byServer.delete(event.server);
      const policies = new Map(context.policies);
      policies.delete(event.server);
      return { instances, byServer, policies, version: context.version + 1 };
    }),
  },
}).createMachine({
  id: 'router',
  context: () => ({ instances: new Map(), byServer: new Map(), policies: new Map(), version: 0 }),
  initial: 'open',
  states: {
    open: {
      on: {
        'route.instance': { actions: 'setInstance' },
        'route.forget': { actions: 'forgetInstance' },
        'route.policy': { actions: 'setPolicy' },
        'route.server.removed': { actions: 'removeServer' },
        'route.closing': { target: 'closing', actions: 'close' },
      },
    },
    // the manager is stopping: no instance takes requests, nothing is coming back, and what
    // the instances do on their way down changes nothing (one change, not one per transition)
    closing: {},
  },
});

export type RouterActor = ActorRefFrom<typeof routerMachine>;
