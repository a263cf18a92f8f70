/**
 * The listen streams kept to a 2026-07-28 upstream are opened again whenever the server
 * drops them, for as long as the session lives: pauses double with drops in a row (up to
 * a cap), start afresh after a stream that stayed open, and a URI unsubscribed meanwhile
 * is not subscribed again. One piece with a fake client and a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Client, McpSubscription, SubscriptionFilter } from '@modelcontextprotocol/client';
import { LISTEN_REOPEN, UpstreamListen } from '../../src/server-actor/upstream-listen.js';

interface Opened {
  filter: SubscriptionFilter;
  drop(reason?: string): Promise<void>;
  closedLocally: boolean;
}

/** A client whose `listen` streams the test ends at will; `refuse` makes the next opening fail. */
function fakeClient() {
  const opened: Opened[] = [];
  const state = { refuse: 0, transport: {} as unknown };
  const client = {
    get transport() {
      return state.transport;
    },
    getServerCapabilities: () => ({ tools: { listChanged: true }, resources: { subscribe: true } }),
    listen(filter: SubscriptionFilter): Promise<McpSubscription> {
      if (state.refuse > 0) {
        state.refuse--;
        return Promise.reject(new Error('connection reset'));
      }
      let end!: (reason: string) => void;
      const closed = new Promise<string>((resolve) => (end = resolve));
      const entry: Opened = {
        filter,
        closedLocally: false,
        drop: async (reason = 'server ended the stream') => {
          end(reason);
          await settle();
        },
      };
      opened.push(entry);
      const subscription = {
        honoredFilter: filter,
        closed,
        close: () => {
          entry.closedLocally = true;
          end('local');
          return Promise.resolve();
        },
      };
      return Promise.resolve(subscription as unknown as McpSubscription);
    },
  };
  return { client: client as unknown as Client, opened, state };
}

/** A virtual clock: `after` callbacks run when the test advances time. */
function virtualClock() {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    after: (ms: number, fn: () => void) => void timers.push({ at: now + ms, fn }),
    /** Pauses asked for so far that have not run, in ms from now. */
    pending: () => timers.map((t) => t.at - now),
    async advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
      await settle();
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function setup() {
  const fake = fakeClient();
  const clock = virtualClock();
  const listen = new UpstreamListen(fake.client, pino({ level: 'silent' }), { ackTimeoutMs: 1000, now: clock.now, after: clock.after });
  return { ...fake, clock, listen };
}

describe('listen streams to a modern upstream', () => {
  it('opens a dropped list stream again every time, with pauses doubling up to the cap', async () => {
    const t = setup();
    await t.listen.openLists();
    expect(t.opened).toHaveLength(1);
    const pauses: number[] = [];
    // far more drops in a row than any fixed retry budget would allow
    for (let i = 0; i < 12; i++) {
      await t.opened.at(-1)!.drop();
      pauses.push(...t.clock.pending());
      await t.clock.advance(LISTEN_REOPEN.maxDelayMs);
      expect(t.opened).toHaveLength(i + 2);
    }
    expect(pauses.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(Math.max(...pauses)).toBe(LISTEN_REOPEN.maxDelayMs);
    expect(t.opened.at(-1)!.filter).toEqual({ toolsListChanged: true });
  });

  it('starts the pauses afresh after a stream that stayed open', async () => {
    const t = setup();
    await t.listen.openLists();
    for (let i = 0; i < 4; i++) {
      await t.opened.at(-1)!.drop();
      await t.clock.advance(LISTEN_REOPEN.maxDelayMs);
    }
    await t.opened.at(-1)!.drop();
    expect(t.clock.pending()).toEqual([8000]);
    await t.clock.advance(8000);
    // this one serves for a while before it is dropped
    await t.clock.advance(LISTEN_REOPEN.stableMs);
    await t.opened.at(-1)!.drop();
    expect(t.clock.pending()).toEqual([LISTEN_REOPEN.firstDelayMs]);
  });

  it('keeps trying when opening again fails (the server accepted the stream before)', async () => {
    const t = setup();
    await t.listen.openLists();
    t.state.refuse = 3;
    await t.opened[0]!.drop();
    for (let i = 0; i < 4; i++) await t.clock.advance(LISTEN_REOPEN.maxDelayMs);
    expect(t.opened).toHaveLength(2);
    expect(t.clock.pending()).toEqual([]);
  });

  it('subscribes a dropped resource again, but not one unsubscribed meanwhile, and nothing after close', async () => {
    const t = setup();
    await t.listen.subscribe('file:///a');
    await t.listen.subscribe('file:///b');
    const [a, b] = t.opened;
    await a!.drop();
    await b!.drop();
    await t.listen.unsubscribe('file:///b');
    await t.clock.advance(LISTEN_REOPEN.maxDelayMs);
    expect(t.opened.slice(2).map((o) => o.filter.resourceSubscriptions)).toEqual([['file:///a']]);
    // the session closes: its streams go and nothing is opened again
    t.listen.close();
    await settle();
    expect(t.opened[2]!.closedLocally).toBe(true);
    await t.clock.advance(LISTEN_REOPEN.maxDelayMs);
    expect(t.opened).toHaveLength(3);
  });
});
