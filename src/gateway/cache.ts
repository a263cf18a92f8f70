/**
 * Opt-in result cache for read-only tools (`cache: {ttl, tools}`), with single-flight:
 * identical calls in flight at the same time share one backend call.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';

interface Entry {
  expires: number;
  result: CallToolResult;
}

/** Bound on cached results per server; the oldest go first. */
const MAX_ENTRIES = 1_000;

export class ResultCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<CallToolResult>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  static key(tool: string, args: unknown): string {
    return `${tool}\0${stableJson(args ?? {})}`;
  }

  /** A fresh cached result, a shared in-flight call, or a new call through `run`. */
  async get(key: string, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) return hit.result;
    if (hit) this.entries.delete(key);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const call = run().then((result) => {
      // errors are never cached
      if (!result.isError) this.put(key, result);
      return result;
    });
    this.inFlight.set(key, call);
    try {
      return await call;
    } finally {
      this.inFlight.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private put(key: string, result: CallToolResult): void {
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { expires: this.now() + this.ttlMs, result });
  }
}

/** JSON with object keys sorted, so equal arguments give equal keys. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
