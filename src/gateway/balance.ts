/**
 * Load-balancing strategies. Each picks one instance among those that may take a
 * request now; they share one contract (test/gateway/balance.test.ts).
 */
import type { LoadBalancing } from '../../machines/router.machine.js';

export interface Candidate {
  instance: string;
  /** Requests in flight on it now. */
  load: number;
  preferred: boolean;
}

export interface Balancer {
  /** One of `candidates` (all below their concurrency limit), or undefined when there are none. */
  pick(candidates: readonly Candidate[]): Candidate | undefined;
}

/** Preferred (healthy) instances first; others only when no preferred one can take it. */
function preferredFirst(candidates: readonly Candidate[]): readonly Candidate[] {
  const preferred = candidates.filter((c) => c.preferred);
  return preferred.length > 0 ? preferred : candidates;
}

export function roundRobin(): Balancer {
  let next = 0;
  return {
    pick(candidates) {
      const pool = preferredFirst(candidates);
      if (pool.length === 0) return undefined;
      const chosen = pool[next % pool.length];
      next = (next + 1) % 1_000_000_007;
      return chosen;
    },
  };
}

export function leastLoaded(): Balancer {
  const tieBreak = roundRobin();
  return {
    pick(candidates) {
      const pool = preferredFirst(candidates);
      if (pool.length === 0) return undefined;
      const min = Math.min(...pool.map((c) => c.load));
      return tieBreak.pick(pool.filter((c) => c.load === min));
    },
  };
}

export const BALANCERS: Record<LoadBalancing, () => Balancer> = {
  round_robin: roundRobin,
  least_loaded: leastLoaded,
};
