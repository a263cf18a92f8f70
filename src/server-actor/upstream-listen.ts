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

/** How often a stream the server dropped is opened again before giving up on it. */
const MAX_REOPENS = 5;
/** Pause before opening a dropped stream again (the connection may be on its way out). */
const REOPEN_DELAY_MS = 500;

export class UpstreamListen {
  private lists: McpSubscription | undefined;
  private readonly resources = new Map<string, Promise<McpSubscription>>();
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
    /** How long to wait for the server to acknowledge a stream. */
    private readonly ackTimeoutMs: number,
  ) {}

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
   * calls, its lists are only read at start then.
   */
  async openLists(reopens = 0): Promise<void> {
    const filter = this.listFilter();
    if (filter === undefined || this.closed) return;
    let subscription: McpSubscription;
    try {
      subscription = await this.client.listen(filter, { timeout: this.ackTimeoutMs });
    } catch (error) {
      this.logger.warn({ err: errorMessage(error) }, 'server refused subscriptions/listen: its list changes will not be seen');
      return;
    }
    if (this.closed) {
      void subscription.close();
      return;
    }
    this.lists = subscription;
    void subscription.closed.then((reason) => {
      if (this.lists === subscription) this.lists = undefined;
      if (reason === 'local' || this.closed) return;
      this.reopen(reason, reopens, (next) => this.openLists(next));
    });
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
    try {
      await opening;
    } catch (error) {
      if (this.resources.get(uri) === opening) this.resources.delete(uri);
      throw error;
    }
  }

  private async openResource(uri: string, signal?: AbortSignal, reopens = 0): Promise<McpSubscription> {
    const subscription = await this.client.listen(
      { resourceSubscriptions: [uri] },
      { timeout: this.ackTimeoutMs, ...(signal === undefined ? {} : { signal }) },
    );
    if (!subscription.honoredFilter.resourceSubscriptions?.includes(uri)) {
      await subscription.close();
      throw new Error(`the server did not accept a subscription to ${uri}`);
    }
    void subscription.closed.then((reason) => {
      const current = this.resources.get(uri);
      if (reason === 'local' || this.closed || current === undefined) return;
      void current.then((held) => {
        if (held !== subscription) return;
        this.resources.delete(uri);
        this.reopen(reason, reopens, (next) => {
          const again = this.openResource(uri, undefined, next);
          this.resources.set(uri, again);
          again.catch((error: unknown) => {
            if (this.resources.get(uri) === again) this.resources.delete(uri);
            this.logger.warn({ uri, err: errorMessage(error) }, 'could not subscribe to a resource again');
          });
          return again.then(() => undefined);
        });
      });
    });
    return subscription;
  }

  async unsubscribe(uri: string): Promise<void> {
    const held = this.resources.get(uri);
    if (held === undefined) return;
    this.resources.delete(uri);
    await (await held.catch(() => undefined))?.close();
  }

  /** A stream the server ended: open it again, a bounded number of times in a row. */
  private reopen(reason: string, reopens: number, open: (reopens: number) => Promise<void>): void {
    if (reopens >= MAX_REOPENS || this.client.transport === undefined) {
      this.logger.warn({ reason, reopens }, 'a subscriptions/listen stream ended and is not opened again');
      return;
    }
    this.logger.debug({ reason }, 'a subscriptions/listen stream ended; opening it again');
    setTimeout(() => {
      if (this.closed || this.client.transport === undefined) return;
      void open(reopens + 1);
    }, REOPEN_DELAY_MS).unref();
  }

  /** The session is closing: its streams go with it and are not opened again. */
  close(): void {
    this.closed = true;
    void this.lists?.close();
    for (const held of this.resources.values()) void held.then((s) => s.close()).catch(() => undefined);
    this.resources.clear();
  }
}
