/** Follow `GET /events` of a running manager: one callback per NDJSON line. */
import { request } from 'node:http';
import { dirname } from 'node:path';
import { ManagerError, errorMessage } from '../errors.js';
import type { ControlEvent } from './types.js';

export interface EventFollower {
  /** Resolves when the stream ends (the manager stopped, or `close()`); rejects if it could not start. */
  readonly done: Promise<void>;
  close(): void;
}

/** Longest line accepted from the stream (a stats line of many servers stays far below). */
const MAX_LINE_BYTES = 8 * 1024 * 1024;

export function followEvents(
  socketPath: string,
  onEvent: (event: ControlEvent) => void,
  options: { statsMs?: number } = {},
): EventFollower {
  const query = options.statsMs === undefined ? '' : `?stats=${options.statsMs}`;
  let closed = false;
  const req = request({ socketPath, method: 'GET', path: `/events${query}`, agent: false, headers: { accept: 'application/x-ndjson' } });
  const done = new Promise<void>((resolve, reject) => {
    req.on('error', (error) => {
      if (closed) return resolve();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED') {
        reject(
          new ManagerError(
            'MANAGER_NOT_RUNNING',
            `no mcp-manager is running for state dir ${dirname(socketPath)} (no control socket at ${socketPath})`,
            { cause: error },
          ),
        );
      } else reject(new ManagerError('CONTROL_FAILED', `control event stream failed: ${errorMessage(error)}`, { cause: error }));
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let message = `control event stream refused (HTTP ${res.statusCode ?? '?'})`;
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { message?: string } };
            if (body.error?.message) message = body.error.message;
          } catch {
            // keep the generic message
          }
          reject(new ManagerError('CONTROL_FAILED', message));
        });
        return;
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, at);
          buffer = buffer.slice(at + 1);
          if (line.trim() === '') continue;
          try {
            onEvent(JSON.parse(line) as ControlEvent);
          } catch {
            // a malformed line is skipped
          }
        }
        if (buffer.length > MAX_LINE_BYTES) req.destroy();
      });
      res.on('end', () => resolve());
      res.on('close', () => resolve());
    });
  });
  req.end();
  return {
    done,
    close() {
      closed = true;
      req.destroy();
    },
  };
}
