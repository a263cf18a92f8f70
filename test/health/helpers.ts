/** Helpers for health tests: server configs, sessions (real and fake), a virtual clock. */
import type { Client } from '@modelcontextprotocol/client';
import { parseConfigText } from '../../src/config/load.js';
import type { ServerConfig } from '../../src/config/types.js';
import type { HealthEvent } from '../../src/health/monitor.js';
import type { HealthClock } from '../../src/health/types.js';
import type { ProcessTransport } from '../../src/transports/process-transport.js';
import { EMPTY_CATALOG, type Session } from '../../src/server-actor/session.js';

/** A server config as the loader makes it (defaults from the one DEFAULTS object), with test timings. */
export function serverConfig(name: string, extra: Partial<ServerConfig> = {}): ServerConfig {
  const result = parseConfigText(`servers:\n  ${name}:\n    command: node\n`, '/virtual/config.yaml');
  if (!result.ok) throw new Error(result.issues.map((i) => i.message).join('; '));
  const { cwd: _cwd, ...loaded } = result.config.servers[0]!;
  return { ...loaded, command: process.execPath, inheritEnv: false, healthCheckIntervalMs: 1_000, stopTimeoutMs: 1_000, ...extra };
}

/** A Session over a connected client and its transport (as launch.ts builds them). */
export function sessionOf(instance: string, server: string, transport: ProcessTransport, client: Client): Session {
  return {
    instance,
    server,
    transport,
    client,
    clientInfo: { name: 'test', version: '1' },
    catalog: EMPTY_CATALOG,
    capabilities: {},
    serverInfo: undefined,
    written: 0,
    progress: new Map(),
    exited: transport.exited,
    close: () => client.close(),
  };
}

/** Records what the monitor sends, with the (clock) time it was sent. */
export class Inbox {
  readonly events: (HealthEvent & { at: number })[] = [];
  constructor(private readonly now: () => number = Date.now) {}
  readonly send = (event: HealthEvent): void => {
    this.events.push({ ...event, at: this.now() });
  };
  of(instance: string) {
    return this.events.filter((e) => e.instance === instance);
  }
  types(instance: string): string[] {
    return this.of(instance).map((e) => e.type);
  }
}

interface Timer {
  at: number;
  every: number | null;
  fn: () => void;
}

/** Let pending promise chains run (a few turns of the real event loop). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Virtual time: timers fire only inside `advance`, in time order. */
export class ManualClock implements HealthClock {
  private t = 1_000_000;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  now = (): number => this.t;

  every(ms: number, fn: () => void): () => void {
    return this.add({ at: this.t + ms, every: ms, fn });
  }

  after(ms: number, fn: () => void): () => void {
    return this.add({ at: this.t + ms, every: null, fn });
  }

  pending(): number {
    return this.timers.size;
  }

  /** Move time forward by `ms`, firing every timer due on the way (and letting promises settle). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      let next: [number, Timer] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      const [id, timer] = next;
      this.t = timer.at;
      if (timer.every === null) this.timers.delete(id);
      else timer.at += timer.every;
      timer.fn();
    }
    this.t = end;
    await settle();
  }

  private add(timer: Timer): () => void {
    const id = ++this.seq;
    this.timers.set(id, timer);
    return () => this.timers.delete(id);
  }
}
