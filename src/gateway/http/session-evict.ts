/**
 * The legacy-era session cap never locks a client out: at the cap, the least recently
 * used idle session (no reply in flight, no open GET stream) makes room. Clients such as
 * the SDK's close without a DELETE, so idle sessions pile up in ordinary use.
 */

export interface EvictableSession {
  /** 0 while the session is busy, else ms since its last request. */
  idleMs(nowMs: number): number;
}

/** The idle session unused the longest, or undefined when every session is busy. */
export function leastRecentlyUsedIdle<T extends EvictableSession>(sessions: Iterable<T>, nowMs: number): T | undefined {
  let victim: T | undefined;
  let longest = -1;
  for (const session of sessions) {
    // a busy session reports 0 at any time; an idle one grows without bound
    if (session.idleMs(Number.POSITIVE_INFINITY) === 0) continue;
    const idle = session.idleMs(nowMs);
    if (idle > longest) {
      longest = idle;
      victim = session;
    }
  }
  return victim;
}
