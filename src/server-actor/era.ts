/**
 * Which protocol era a server speaks. Under `protocol: auto` the first start probes with
 * `server/discover` on the server's own transport (no extra process) and the verdict is
 * kept in the state dir, keyed by what identifies the server's configuration; later starts
 * hand it to the SDK as `prior` and skip the probe. A verdict is dropped when a start
 * fails, when the configuration changes, and after a day (a stale legacy verdict would
 * otherwise hide an upgraded server for ever).
 */
import { createHash } from 'node:crypto';
import type { Client, DiscoverResult, PriorDiscovery, ProtocolEra } from '@modelcontextprotocol/client';
import { z } from 'zod';
import type { ServerConfig } from '../config/types.js';

/** The state dir topic (per server) that holds the verdict. */
export const ERA_TOPIC = 'era';
/** A verdict older than this is probed again. */
export const VERDICT_MAX_AGE_MS = 24 * 60 * 60_000;
/** The revision a `modern` server is pinned to. */
export const MODERN_REVISION = '2026-07-28';
/** Longest wait for the answer to the probe before a stdio server counts as legacy. */
const PROBE_TIMEOUT_MS = 5_000;

const VerdictSchema = z.object({
  era: z.enum(['legacy', 'modern']),
  /** The server's `server/discover` answer (modern only), handed back as `prior`. */
  discover: z.record(z.string(), z.unknown()).optional(),
  /** When it was learnt (ISO time). */
  at: z.string(),
  /** Hash of the settings that identify the server (command, args, env, url, …). */
  config: z.string(),
});
export type EraVerdict = z.infer<typeof VerdictSchema>;

/** Where verdicts live: the state dir's upstream facts, one topic per server. */
export interface EraStore {
  get(server: string): unknown;
  set(server: string, verdict: EraVerdict | undefined): void;
}

/** The settings whose change may mean another program (or another version of it) answers. */
export function configKeyOf(config: ServerConfig): string {
  const identity = [
    config.connectionType,
    config.command ?? null,
    config.args,
    config.env,
    config.cwd ?? null,
    config.url ?? null,
    config.headers,
  ];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

/** The SDK's negotiation options for a server's `protocol` setting. */
export function negotiationOf(config: ServerConfig): { mode: 'legacy' | 'auto' | { pin: string }; probe: { timeoutMs: number } } {
  const mode = config.protocol === 'modern' ? { pin: MODERN_REVISION } : config.protocol;
  return { mode, probe: { timeoutMs: Math.min(PROBE_TIMEOUT_MS, Math.max(1, Math.floor(config.startupTimeoutMs / 3))) } };
}

/** A kept verdict still good for this configuration, as the SDK's `prior`; undefined → probe. */
export function priorOf(config: ServerConfig, stored: unknown, now: number): PriorDiscovery | undefined {
  if (config.protocol === 'legacy') return undefined; // no probe at all
  const parsed = VerdictSchema.safeParse(stored);
  if (!parsed.success) return undefined;
  const verdict = parsed.data;
  if (verdict.config !== configKeyOf(config)) return undefined;
  const at = Date.parse(verdict.at);
  if (!Number.isFinite(at) || now - at >= VERDICT_MAX_AGE_MS || at > now + 60_000) return undefined;
  if (verdict.era === 'legacy') return config.protocol === 'auto' ? { kind: 'legacy' } : undefined;
  return verdict.discover ? { kind: 'modern', discover: verdict.discover as DiscoverResult } : undefined;
}

/** What a connected client learnt, to keep. */
export function verdictOf(client: Client, config: ServerConfig, now: number): EraVerdict | undefined {
  const era: ProtocolEra | undefined = client.getProtocolEra();
  if (era === undefined) return undefined;
  const discover = client.getDiscoverResult();
  return {
    era: era === 'modern' && discover ? 'modern' : 'legacy',
    ...(era === 'modern' && discover ? { discover } : {}),
    at: new Date(now).toISOString(),
    config: configKeyOf(config),
  };
}

/** The SDK's report of a response whose id it is not waiting for (its message, then the JSON). */
const UNKNOWN_RESPONSE = 'Received a response for an unknown message ID: ';
/** The ids the SDK gives its `server/discover` probes. */
const PROBE_ID = /^server-discover-probe-\d+$/;

/**
 * An answer to the era probe that came after the probe timed out (the SDK then went on in
 * the 2025 era and reports the answer as one to an unknown request): `result` when the
 * server answered `server/discover` (it speaks 2026-07-28, only too slowly for the probe),
 * `error` when it refused it (a 2025-era server, as concluded); undefined for anything else.
 */
export function lateProbeAnswer(error: unknown): 'result' | 'error' | undefined {
  const message = error instanceof Error ? error.message : '';
  if (!message.startsWith(UNKNOWN_RESPONSE)) return undefined;
  let reply: unknown;
  try {
    reply = JSON.parse(message.slice(UNKNOWN_RESPONSE.length));
  } catch {
    return undefined;
  }
  if (typeof reply !== 'object' || reply === null) return undefined;
  const { id, result, error: failure } = reply as { id?: unknown; result?: unknown; error?: unknown };
  if (typeof id !== 'string' || !PROBE_ID.test(id)) return undefined;
  return result !== undefined ? 'result' : failure !== undefined ? 'error' : undefined;
}
