/**
 * The manager's metrics wired to their owners: the transition feed, the health monitor
 * (memory, CPU), the gateway's dispatcher (in flight, queued), its client sessions and
 * catalog. Once built, the gateway counts its tool calls on it.
 */
import type { Gateway } from '../gateway/gateway.js';
import type { HealthMonitor } from '../health/monitor.js';
import type { Feed } from '../supervisor/feed.js';
import { createMetrics, type Metrics } from './metrics.js';

export interface MetricsParts {
  feed: Feed;
  gateway: Gateway;
  monitor: HealthMonitor;
  /** Configured server names (they change on reload). */
  servers: () => string[];
  /** Idle sessions the HTTP listener evicted at its cap so far (0 before it listens). */
  sessionEvictions: () => number;
}

export function buildMetrics({ feed, gateway, monitor, servers, sessionEvictions }: MetricsParts): Metrics {
  const metrics = createMetrics({
    feed,
    servers,
    usage: (instance) => monitor.instanceHealth(instance),
    inflight: (instance) => gateway.dispatcher.inflight(instance),
    queued: (server) => gateway.dispatcher.queued(server),
    // connections by era (2026-07-28 HTTP requests are not sessions; its stdio connections are)
    sessions: () => {
      const counts = { legacy: 0, modern: 0 };
      for (const client of gateway.clients) counts[client.era]++;
      return counts;
    },
    sessionEvictions,
    catalogTools: () => gateway.catalog.tools().length,
  });
  gateway.callMetrics = metrics.calls;
  return metrics;
}
