/**
 * Change events from a 2026-07-28 upstream. Such a server sends nothing unsolicited: list
 * changes and resource updates come only on `subscriptions/listen` streams its client
 * opens. A session keeps one stream for the list changes the server advertises (opened
 * at launch, so a restarted backend gets a new one) and one stream per subscribed
 * resource URI, so that subscribing and unsubscribing one URI never disturbs the others.
 * What arrives on them goes through the client's notification handlers, as a 2025-era
 * server's unsolicited notifications do.
 */
import type { Client, McpSubscription, SubscriptionFilter } from '@modelcontextprotocol/client';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * A stream the server dropped is opened again for as long as the session lives, after a
 * pause (the connection may be on its way out) that doubles with each drop in a row.
 */
export const LISTEN_REOPEN = {
  firstDelayMs: 500,
  maxDelayMs: 30_000,
  /** A stream that stayed open this long was healthy: its next drop starts the pauses afresh. */
  stableMs: 60_000,
  /** Drops in a row after which the log says a stream keeps ending (once per run of drops). */
  warnAfter: 5,
} as const;

export interface UpstreamListenOptions {
  /** How long to wait for the server to acknowledge a stream. */
  ackTimeoutMs: number;
  /** Epoch ms (how long a stream stayed open). */
  now?: () => number;
  /** Run `fn` after `ms` without holding the process open (tests pass a virtual clock). */
  after?: (ms: number, fn: () => void) => void;
}

export class UpstreamListen {
  private lists: McpSubscription | undefined;
  private readonly resources = new Map<string, Promise<McpSubscription>>();
  /** URIs subscribed and not unsubscribed since: only these are opened again after a drop. */
  private readonly wanted = new Set<string>();
  private closed = false;
  private readonly ackTimeoutMs: number;
  private readonly now: () => number;
  private readonly after: (ms: number, fn: () => void) => void;

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    options: UpstreamListenOptions,
  ) {
    this.ackTimeoutMs = options.ackTimeoutMs;
    this.now = options.now ?? Date.now;
    this.after = options.after ?? ((ms, fn) => void setTimeout(fn, ms).unref());
  }

  /** The list-change filter the server's capabilities allow (undefined: it announces no list changes). */
  private listFilter(): SubscriptionFilter | undefined {
    const caps = this.client.getServerCapabilities() ?? {};
    const filter: SubscriptionFilter = {
      ...(caps.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(caps.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(caps.resources?.listChanged ? { resourcesListChanged: true } : {}),
    };
    return Object.keys(filter).length === 0 ? undefined : filter;
  }

  /**
   * Open the list-change stream. Never throws: a server that refuses it still serves
   * calls, its lists are only read at start then. `drops`: the drops in a row before this
   * opening (0 at launch).
   */
  async openLists(drops = 0): Promise<void> {
    const filter = this.listFilter();
    if (filter === undefined || this.closed) return;
    let subscription: McpSubscription;
    try {
      subscription = await this.client.listen(filter, { timeout: this.ackTimeoutMs });
    } catch (error) {
      if (drops === 0) {
        this.logger.warn({ err: errorMessage(error) }, 'server refused subscriptions/listen: its list changes will not be seen');
        return;
      }
      // it was accepted before: a failed reopening counts as one more drop
      this.reopen(`reopening failed: ${errorMessage(error)}`, drops + 1, (next) => this.openLists(next));
      return;
    }
    if (this.closed) {
      void subscription.close();
      return;
    }
    this.lists = subscription;
    const openedAt = this.now();
    void subscription.closed.then((reason) => {
      if (this.lists === subscription) this.lists = undefined;
      if (reason === 'local' || this.closed) return;
      this.reopen(reason, this.dropsAfter(drops, openedAt), (next) => this.openLists(next));
    });
  }

  /** Drops in a row once a stream opened after `drops` of them has ended. */
  private dropsAfter(drops: number, openedAt: number): number {
    return this.now() - openedAt >= LISTEN_REOPEN.stableMs ? 1 : drops + 1;
  }

  /** Subscribe to updates of `uri`; throws when the server does not honour it. */
  async subscribe(uri: string, signal?: AbortSignal): Promise<void> {
    const held = this.resources.get(uri);
    if (held !== undefined) {
      await held;
      return;
    }
    const opening = this.openResource(uri, signal);
    this.resources.set(uri, opening);
    this.wanted.add(uri);
    try {
      await opening;
    } catch (error) {
      if (this.resources.get(uri) === opening) {
        this.resources.delete(uri);
        this.wanted.delete(uri);
      }
      throw error;
    }
  }

  private async openResource(uri: string, signal?: AbortSignal, drops = 0): Promise<McpSubscription> {
    const subscription = await this.client.listen(
      { resourceSubscriptions: [uri] },
      { timeout: this.ackTimeoutMs, ...(signal === undefined ? {} : { signal }) },
    );
    if (!subscription.honoredFilter.resourceSubscriptions?.includes(uri)) {
      await subscription.close();
      throw new Error(`the server did not accept a subscription to ${uri}`);
    }
    const openedAt = this.now();
    void subscription.closed.then((reason) => {
      const current = this.resources.get(uri);
      if (reason === 'local' || this.closed || current === undefined) return;
      void current.then((held) => {
        if (held !== subscription) return;
        this.resources.delete(uri);
        const reopenAfter = (why: string, run: number): void =>
          this.reopen(why, run, (next) => {
            // unsubscribed meanwhile, or subscribed afresh
            if (!this.wanted.has(uri) || this.resources.has(uri)) return Promise.resolve();
            const again = this.openResource(uri, undefined, next);
            this.resources.set(uri, again);
            again.catch((error: unknown) => {
              if (this.resources.get(uri) !== again) return;
              this.resources.delete(uri);
              // it was accepted before: a failed reopening counts as one more drop
              reopenAfter(`reopening failed: ${errorMessage(error)}`, next + 1);
            });
            return again.then(() => undefined);
          });
        reopenAfter(reason, this.dropsAfter(drops, openedAt));
      });
    });
    return subscription;
  }

  async unsubscribe(uri: string): Promise<void> {
    this.wanted.delete(uri);
    const held = this.resources.get(uri);
    if (held === undefined) return;
    this.resources.delete(uri);
    await (await held.catch(() => undefined))?.close();
  }

  /**
   * A stream ended (`drops` in a row, this one included): open it again while the session
   * lives, after a pause that doubles with each drop in a row, up to `maxDelayMs`.
   */
  private reopen(reason: string, drops: number, open: (drops: number) => Promise<void>): void {
    if (this.closed || this.client.transport === undefined) return;
    const delayMs = Math.min(LISTEN_REOPEN.maxDelayMs, LISTEN_REOPEN.firstDelayMs * 2 ** Math.min(30, drops - 1));
    if (drops === LISTEN_REOPEN.warnAfter) {
      this.logger.warn(
        { reason, drops, delayMs },
        `a subscriptions/listen stream keeps ending (${drops} times in a row); still opening it again`,
      );
    } else {
      this.logger.debug({ reason, drops, delayMs }, 'a subscriptions/listen stream ended; opening it again');
    }
    this.after(delayMs, () => {
      if (this.closed || this.client.transport === undefined) return;
      void open(drops);
    });
  }

  /** The session is closing: its streams go with it and are not opened again. */
  close(): void {
    this.closed = true;
    void this.lists?.close();
    for (const held of this.resources.values()) void held.then((s) => s.close()).catch(() => undefined);
    this.resources.clear();
    this.wanted.clear();
  }
}
