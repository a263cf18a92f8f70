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

export interface RouterContext {
  instances: Record<string, InstanceRoute>;
  /** Instance ids by server, in instance order. */
  byServer: Record<string, string[]>;
  policies: Record<string, RoutePolicy>;
  /** Bumped on every change; waiters compare it. */
  version: number;
}

export type RouterEvent =
  | { type: 'route.instance'; instance: string; server: string; state: PublicServerState; routable: boolean; preferred: boolean }
  | { type: 'route.forget'; instance: string }
  | { type: 'route.policy'; server: string; policy: RoutePolicy }
  | { type: 'route.server.removed'; server: string };

/** States from which an instance comes back on its own: calls may wait for it. */
export const COMING_BACK: ReadonlySet<PublicServerState> = new Set(['starting', 'restarting', 'stopping', 'critical']);

export const routerMachine = setup({
  types: { context: {} as RouterContext, events: {} as RouterEvent },
  actions: {
    setInstance: assign(({ context, event }) => {
      if (event.type !== 'route.instance') return {};
      const { instance, server, state, routable, preferred } = event;
      const ids = context.byServer[server] ?? [];
      return {
        instances: { ...context.instances, [instance]: { server, state, routable, preferred } },
        byServer: ids.includes(instance) ? context.byServer : { ...context.byServer, [server]: [...ids, instance].sort() },
        version: context.version + 1,
      };
    }),
    forgetInstance: assign(({ context, event }) => {
      if (event.type !== 'route.forget') return {};
      const route = context.instances[event.instance];
      if (!route) return {};
      const instances = { ...context.instances };
      delete instances[event.instance];
      const ids = (context.byServer[route.server] ?? []).filter((id) => id !== event.instance);
      return { instances, byServer: { ...context.byServer, [route.server]: ids }, version: context.version + 1 };
    }),
    setPolicy: assign(({ context, event }) =>
      event.type === 'route.policy'
        ? { policies: { ...context.policies, [event.server]: event.policy }, version: context.version + 1 }
        : {},
    ),
    removeServer: assign(({ context, event }) => {
      if (event.type !== 'route.server.removed') return {};
      const instances = { ...context.instances };
      for (const id of context.byServer[event.server] ?? []) delete instances[id];
      const byServer = { ...context.byServer };
      delete byServer[event.server];
      const policies = { ...context.policies };
      delete policies[event.server];
      return { instances, byServer, policies, version: context.version + 1 };
    }),
  },
}).createMachine({
  id: 'router',
  context: { instances: {}, byServer: {}, policies: {}, version: 0 },
  on: {
    'route.instance': { actions: 'setInstance' },
    'route.forget': { actions: 'forgetInstance' },
    'route.policy': { actions: 'setPolicy' },
    'route.server.removed': { actions: 'removeServer' },
  },
});

export type RouterActor = ActorRefFrom<typeof routerMachine>;
