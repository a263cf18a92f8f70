/**
 * Tools of a server whose every instance has failed stay known for a while, with the
 * failure reason: a caller gets "server X failed: <why>" rather than "unknown tool".
 * Bounded in entries and time; forgotten as soon as the server is back.
 */

export interface Unavailable {
  server: string;
  reason: string;
}

/** How long a failed server's tools are answered with its reason. */
export const UNAVAILABLE_KEEP_MS = 10 * 60_000;
const MAX_ENTRIES = 10_000;

export class UnavailableTools {
  private readonly byName = new Map<string, Unavailable & { until: number }>();

  constructor(private readonly keepMs = UNAVAILABLE_KEEP_MS) {}

  /** `names` (public tool names) of `server` went away because it failed. */
  remember(server: string, names: readonly string[], reason: string, nowMs = Date.now()): void {
    for (const name of names) {
      if (this.byName.size >= MAX_ENTRIES && !this.byName.has(name)) {
        const oldest = this.byName.keys().next().value;
        if (oldest !== undefined) this.byName.delete(oldest);
      }
      this.byName.delete(name);
      this.byName.set(name, { server, reason, until: nowMs + this.keepMs });
    }
  }

  /** The server is back (or removed): its tools are answered normally again. */
  forget(server: string): void {
    for (const [name, entry] of this.byName) if (entry.server === server) this.byName.delete(name);
  }

  /** Why `server` is down, while its tools are remembered. */
  reasonOf(server: string, nowMs = Date.now()): string | undefined {
    for (const [name, entry] of this.byName) if (entry.server === server) return this.lookup(name, nowMs)?.reason;
    return undefined;
  }

  lookup(name: string, nowMs = Date.now()): Unavailable | undefined {
    const entry = this.byName.get(name);
    if (entry === undefined) return undefined;
    if (entry.until <= nowMs) {
      this.byName.delete(name);
      return undefined;
    }
    return { server: entry.server, reason: entry.reason };
  }
}
