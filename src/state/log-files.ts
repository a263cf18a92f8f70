/**
 * Log files in `<state-dir>/logs/`, rotated by size through rotating-file-stream (the
 * classic scheme: `NAME.log` is always the file being written, `NAME.log.1` the newest
 * rotated one, up to `keep` files in all). One stream per file: every instance of a
 * server (replicas, replacements) writes into its server's file, each line tagged
 * with the instance. Files are created 0600.
 */
import { closeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { openLogFile } from './safe-files.js';

export interface RotationOptions {
  /** Rotate once the file reaches this many bytes (the file may exceed it by one line). */
  maxSizeBytes: number;
  /** Files kept in all, the one being written included (≥ 2). */
  keep: number;
}

export const DEFAULT_ROTATION: RotationOptions = { maxSizeBytes: 10 * 1000 * 1000, keep: 5 };

/** `NAME.log` → `NAME.log.1` … `NAME.log.(keep-1)`. */
export function rotatedNameOf(file: string, index: number): string {
  return `${file}.${index}`;
}

/** A size-rotated, append-only log file (a Writable; write whole lines). */
export function openRotatingFile(file: string, rotation: RotationOptions): RotatingFileStream {
  // created 0600 and checked (a regular file of ours, not a symlink) before the library opens it
  closeSync(openLogFile(file));
  const name = basename(file);
  // classic rotation calls the generator with the rotated file's number, or null for the current file
  const stream = createStream(
    (count: number | Date | null) => (typeof count === 'number' && count > 0 ? rotatedNameOf(name, count) : name),
    {
      path: dirname(file),
      size: `${Math.max(1, Math.floor(rotation.maxSizeBytes))}B`,
      rotate: Math.max(1, rotation.keep - 1),
      mode: 0o600,
    },
  );
  return stream;
}

/** What a stderr capture writes to: whole lines; false asks the writer to wait for `drained`. */
export interface LineSink {
  writeLine(line: string): boolean;
  /** Resolves once buffered lines went to the file. */
  drained(): Promise<void>;
  /** This writer is done; later lines are dropped (the file stays open for the server's other instances). */
  release(): void;
}

export interface ServerLogs {
  /** A sink tagged with `instance`, writing into `logs/<server>.log`. */
  sinkFor(server: string, instance: string): LineSink;
  /** Flush and close every file. */
  close(): Promise<void>;
}

/**
 * The per-server log files of one manager. `fileOf` names the file of a server. Lines
 * arrive redacted (the stderr capture passes each through the one redaction function).
 */
export function createServerLogs(options: {
  fileOf(server: string): string;
  rotation: RotationOptions;
  onError?: (server: string, error: Error) => void;
}): ServerLogs {
  // a server's file stays open for the manager's life: instances come and go, one stream rotates it
  const open = new Map<string, { stream: RotatingFileStream }>();
  const closing = new Set<Promise<void>>();
  const end = (stream: RotatingFileStream) => {
    const done = new Promise<void>((resolve) => {
      stream.once('finish', () => resolve());
      stream.once('error', () => resolve());
      stream.end();
    }).finally(() => closing.delete(done));
    closing.add(done);
  };
  return {
    sinkFor(server, instance) {
      let entry = open.get(server);
      if (!entry) {
        const stream = openRotatingFile(options.fileOf(server), options.rotation);
        stream.on('error', (error) => options.onError?.(server, error));
        stream.on('warning', (error) => options.onError?.(server, error));
        entry = { stream };
        open.set(server, entry);
      }
      const held = entry;
      let released = false;
      return {
        writeLine(line) {
          if (released || held.stream.destroyed || held.stream.writableEnded) return true;
          return held.stream.write(`${new Date().toISOString()} [${instance}] ${line}\n`);
        },
        drained() {
          if (!held.stream.writableNeedDrain || held.stream.destroyed) return Promise.resolve();
          return new Promise((resolve) => {
            const done = () => {
              held.stream.off('drain', done);
              held.stream.off('close', done);
              resolve();
            };
            held.stream.once('drain', done);
            held.stream.once('close', done);
          });
        },
        release() {
          released = true;
        },
      };
    },
    async close() {
      for (const [server, entry] of open) {
        open.delete(server);
        end(entry.stream);
      }
      await Promise.all([...closing]);
    },
  };
}
