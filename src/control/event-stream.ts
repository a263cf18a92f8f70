/**
 * `GET /events` on the control socket: newline-delimited JSON, one `ControlEvent` a line,
 * pushed as the manager's transition feed reports (not polled). The first line is
 * `{"type":"ready"}` once the subscription is live; `?stats=MS` sets how often sampled
 * figures follow (default 2000, 0 for never). A slow reader is cut off, never buffered
 * without bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControlEvent, ControlHandlers } from './types.js';

/** Bytes a reader may fall behind before its stream is closed. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;
const DEFAULT_STATS_MS = 2000;
const MIN_STATS_MS = 100;

export interface EventStreams {
  /** Serve one stream; false when the manager has no event feed. */
  serve(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): boolean;
  /** End every open stream (the control server is closing). */
  closeAll(): void;
}

export function createEventStreams(handlers: ControlHandlers): EventStreams {
  const open = new Set<() => void>();
  return {
    serve(req, res, query) {
      if (!handlers.events) return false;
      const stats = handlers.stats ? () => handlers.stats!() : undefined;
      const statsText = query.get('stats');
      const requested = statsText === null ? DEFAULT_STATS_MS : Number(statsText);
      const statsMs = Number.isFinite(requested) && requested > 0 ? Math.max(MIN_STATS_MS, requested) : 0;

      res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        unsubscribe();
        clearInterval(timer);
        open.delete(end);
        res.end();
      };
      const send = (event: ControlEvent) => {
        if (ended) return;
        res.write(`${JSON.stringify(event)}\n`);
        if (res.writableLength > MAX_BACKLOG_BYTES) end();
      };
      const unsubscribe = handlers.events((transition) => send({ type: 'transition', transition }));
      const timer =
        statsMs > 0 && stats ? setInterval(() => send({ type: 'stats', at: Date.now(), instances: stats() }), statsMs) : undefined;
      timer?.unref();
      open.add(end);
      req.on('close', end);
      res.on('error', end);
      send({ type: 'ready' });
      if (stats) send({ type: 'stats', at: Date.now(), instances: stats() });
      return true;
    },
    closeAll() {
      for (const end of [...open]) end();
    },
  };
}
