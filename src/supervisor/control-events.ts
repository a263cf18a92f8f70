/**
 * The control API's event stream, fed by the transition feed (the same transitions `/ui`
 * gets) and the health monitor's samples, plus the gateway's request counts.
 */
import type { ControlExtensions, ControlTransition, InstanceStats } from '../control/types.js';
import type { Gateway } from '../gateway/gateway.js';
import type { HealthMonitor } from '../health/monitor.js';
import type { Feed } from './feed.js';
import type { Transition } from '../control/transitions.js';

export function controlTransition(t: Transition): ControlTransition {
  const { value: _value, ...transition } = t;
  return transition;
}

export function eventHandlers(parts: {
  feed: Feed;
  monitor: HealthMonitor;
  gateway: Gateway;
}): Pick<ControlExtensions, 'events' | 'stats'> {
  const { feed, monitor, gateway } = parts;
  return {
    events: (listener) => feed.on((t) => listener(controlTransition(t))),
    stats: (): InstanceStats[] =>
      monitor.snapshot().map((h) => ({
        server: h.name,
        instance: h.instance,
        pid: h.pid,
        cpuPercent: h.cpuPercent,
        memoryBytes: h.memoryBytes,
        requests: gateway.dispatcher.requestCount(h.name),
      })),
  };
}
