/**
 * Resource subscriptions that `subscriptions/listen` streams ask for. Upstreams are
 * subscribed once per URI however many streams want it, and unsubscribed when the last
 * stream lets go (and no 2025-era client still holds it). A stream is acknowledged only
 * the URIs an upstream accepted.
 */
import type { Logger } from '../../logger.js';
import type { ListenSubscriptions } from './http-leg.js';

export interface UpstreamResources {
  /** Subscribe the upstream serving `uri`; throws when there is none or it refuses. */
  subscribe(uri: string): Promise<void>;
  unsubscribe(uri: string): Promise<void>;
  /** A 2025-era client holds its own subscription to `uri`. */
  heldElsewhere(uri: string): boolean;
}

export class ListenResources {
  private readonly counts = new Map<string, number>();
  /** In-flight upstream subscriptions, so concurrent streams share one. */
  private readonly subscribing = new Map<string, Promise<boolean>>();

  constructor(
    private readonly upstream: UpstreamResources,
    private readonly logger: Logger,
  ) {}

  /** Some listen stream wants updates of `uri`. */
  wants(uri: string): boolean {
    return (this.counts.get(uri) ?? 0) > 0;
  }

  /** The URIs listen streams hold (a restarted upstream is subscribed to them again). */
  held(): string[] {
    return [...this.counts.keys()];
  }

  async acquire(uris: readonly string[]): Promise<ListenSubscriptions> {
    const unique = [...new Set(uris)];
    const results = await Promise.all(unique.map(async (uri) => ((await this.subscribeOnce(uri)) ? uri : undefined)));
    const accepted = results.filter((uri): uri is string => uri !== undefined);
    for (const uri of accepted) this.counts.set(uri, (this.counts.get(uri) ?? 0) + 1);
    let released = false;
    return {
      accepted,
      release: () => {
        if (released) return;
        released = true;
        for (const uri of accepted) this.releaseOne(uri);
      },
    };
  }

  private subscribeOnce(uri: string): Promise<boolean> {
    if (this.wants(uri)) return Promise.resolve(true);
    let pending = this.subscribing.get(uri);
    if (pending === undefined) {
      pending = this.upstream.subscribe(uri).then(
        () => true,
        (error: unknown) => {
          this.logger.debug(
            { uri, err: error instanceof Error ? error.message : String(error) },
            'upstream refused a resource subscription',
          );
          return false;
        },
      );
      this.subscribing.set(uri, pending);
      void pending.finally(() => this.subscribing.delete(uri));
    }
    return pending;
  }

  private releaseOne(uri: string): void {
    const n = (this.counts.get(uri) ?? 1) - 1;
    if (n > 0) {
      this.counts.set(uri, n);
      return;
    }
    this.counts.delete(uri);
    if (this.upstream.heldElsewhere(uri)) return;
    this.upstream.unsubscribe(uri).catch((error: unknown) => {
      this.logger.debug({ uri, err: error instanceof Error ? error.message : String(error) }, 'could not unsubscribe upstream');
    });
  }
}
