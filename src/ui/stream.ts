/**
 * `/ui/events`: one Server-Sent Events stream per open page. A page first gets a
 * `snapshot` of the whole tree, then one `transition` event per transition, written in
 * batches once per event-loop turn. A page that cannot keep up (its socket buffer past a
 * bound) is cut; its browser reconnects and starts again from a fresh snapshot, so memory
 * stays bounded however long a page stays open.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Feed } from '../supervisor/feed.js';
import type { Transition } from '../control/transitions.js';
import { rowOf, treeOf, type ConfiguredServer } from './view.js';

export interface EventStreamOptions {
  feed: Feed;
  configured(): ConfiguredServer[];
  /** Open pages past this get 503. Default 32. */
  maxClients?: number;
  /** Unsent bytes a page may owe before it is cut. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** A comment line this often keeps idle connections open through proxies. Default 25 s. */
  heartbeatMs?: number;
}

export interface EventStream {
  /** Serve one page's stream. */
  open(req: IncomingMessage, res: ServerResponse): void;
  clientCount(): number;
  /** End every stream and stop listening to the feed. */
  close(): void;
}

export function createEventStream(options: EventStreamOptions): EventStream {
  const { feed } = options;
  const maxClients = options.maxClients ?? 32;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const clients = new Set<ServerResponse>();
  let queued: string[] = [];
  let flushing = false;

  const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

  const flush = () => {
    flushing = false;
    const text = queued.join('');
    queued = [];
    for (const res of clients) write(res, text);
  };

  const write = (res: ServerResponse, text: string) => {
    if (res.writableLength > maxBufferedBytes) {
      clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  };

  const onTransition = (t: Transition) => {
    if (clients.size === 0) return;
    queued.push(frame('transition', { t, row: rowOf(t.instance, feed.snapshotOf(t.instance)), supervisor: feed.supervisorState() }));
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };
  const unsubscribe = feed.on(onTransition);

  const heartbeat = setInterval(() => {
    for (const res of clients) write(res, ': keep-alive\n\n');
  }, options.heartbeatMs ?? 25_000);
  heartbeat.unref();

  return {
    open(req, res) {
      if (clients.size >= maxClients) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
        res.end(JSON.stringify({ error: { code: 'SERVER_BUSY', message: `too many open pages (limit ${maxClients})` } }));
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      clients.add(res);
      const drop = () => clients.delete(res);
      req.once('close', drop);
      res.once('close', drop);
      // a reconnecting page waits a little before trying again
      res.write(`retry: 1000\n${frame('snapshot', { at: Date.now(), ...treeOf(feed, options.configured()) })}`);
    },
    clientCount: () => clients.size,
    close() {
      unsubscribe();
      clearInterval(heartbeat);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
