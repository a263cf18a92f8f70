import type { ServerSnapshot } from './server.machine.js';

/** Server states as users see them (DESIGN §3). */
export type PublicServerState =
  'stopped' | 'starting' | 'healthy' | 'degraded' | 'unhealthy' | 'critical' | 'restarting' | 'stopping' | 'failed';

/**
 * The user-facing state of a server snapshot. Transient decision states never rest,
 * and a removed instance reads as stopped.
 */
export function publicState(snapshot: Pick<ServerSnapshot, 'value'>): PublicServerState {
  const value = snapshot.value;
  if (typeof value === 'object') return value.running;
  switch (value) {
    case 'init':
    case 'removed':
      return 'stopped';
    case 'deciding':
    case 'afterStop':
    case 'draining':
      return 'stopping';
    default:
      return value;
  }
}
