/**
 * What follows every transition of a server instance: the routing table, the health
 * monitor's watch list, the gateway's catalog and the manager log. Fed by the transition
 * feed (subscriptions), so inspection tooling can come and go without touching routing.
 */
import type { PublicServerState } from '../../machines/index.js';
import type { RouterActor } from '../../machines/router.machine.js';
import type { SupervisorActor } from '../../machines/supervisor.machine.js';
import type { Gateway } from '../gateway/gateway.js';
import type { HealthMonitor } from '../health/monitor.js';
import type { Logger } from '../logger.js';
import type { SessionRegistry } from '../server-actor/session.js';
import type { Feed } from './feed.js';
import type { Transition } from '../control/transitions.js';
import { instanceSnapshots } from './status.js';

export interface FollowParts {
  feed: Feed;
  root: SupervisorActor;
  router: RouterActor;
  monitor: HealthMonitor;
  gateway: Gateway;
  sessions: SessionRegistry;
  logger: Logger;
}

export function followTransitions({ feed, root, router, monitor, gateway, sessions, logger }: FollowParts): () => void {
  return feed.on((transition) => {
    const { instance, server, to } = transition;
    if (transition.from !== to) logTransition(logger, transition, feed);
    // the manager is stopping: routing is closed and health checks are over; only the log follows
    if (router.getSnapshot().matches('closing')) return;
    if (to === 'removed') {
      monitor.unwatch(instance);
      router.send({ type: 'route.forget', instance });
      return;
    }
    const snapshot = feed.snapshotOf(instance);
    if (!snapshot) return;
    const running = snapshot.hasTag('running');
    if (running) monitor.watch(instance);
    else monitor.unwatch(instance);
    router.send({
      type: 'route.instance',
      instance,
      server,
      state: to as PublicServerState,
      routable: snapshot.hasTag('routable'),
      preferred: snapshot.hasTag('preferred'),
    });
    if (running) {
      const session = sessions.get(instance);
      if (session) gateway.refreshServer(server, session);
    } else if ((to === 'failed' || to === 'stopped') && root.getSnapshot().value !== 'shuttingDown') {
      // listed while any instance is up or on its way back; dropped when all are down
      // (not while the manager shuts down: rebuilding the catalog per stopped server costs O(n²))
      const down = instanceSnapshots(root, server).every(({ snapshot: s }) => s.hasTag('down') || s.status !== 'active');
      const error = snapshot.context.lastError;
      // failed: calls to its tools get the reason, not "unknown tool"
      if (down && to === 'failed') gateway.serverFailed(server, error ? `${error.code}: ${error.message}` : 'failed');
      else if (down) gateway.refreshServer(server, undefined);
    }
  });
}

function logTransition(logger: Logger, t: Transition, feed: Feed): void {
  const fields = { server: t.instance, from: t.from, to: t.to, event: t.event, childPid: t.pid };
  if ((t.to === 'failed' || t.to === 'restarting') && t.reason) {
    const failure = feed.snapshotOf(t.instance)?.context.lastError;
    logger.warn({ ...fields, reason: t.reason, stderr: failure?.stderrTail.slice(-5) ?? [] }, `server ${t.instance} ${t.to}`);
  } else {
    logger.info(fields, `server ${t.instance} ${t.to}`);
  }
}
