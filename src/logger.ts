import pino, { type Logger, type DestinationStream } from 'pino';
import { redact } from './redact.js';
import { openRotatingFile } from './state/log-files.js';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line. */
export const REDACT_PATHS = [
  '*.env',
  '*.*.env',
  '*.headers',
  '*.*.headers',
  '*.token',
  '*.bearer_token',
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.api_key',
  'env',
  'headers',
  'token',
  'password',
];

export interface LoggerOptions {
  level?: string;
  /** Where log lines go. Defaults to fd 2 so stdout stays free for MCP. */
  destination?: DestinationStream;
}

/**
 * Bytes of log lines waiting for fd 2 at most: past this, lines are dropped and counted
 * (`droppedLogLines()`), never buffered without bound when the reader is slower than we write.
 */
export const LOG_BUFFER_MAX_BYTES = 8 * 1024 * 1024;

let dropped = 0;

/** Log lines dropped so far because the log buffer was full. */
export function droppedLogLines(): number {
  return dropped;
}

/** The default destination: fd 2, asynchronous, with a bounded buffer. */
export function boundedDestination(fd = 2, maxBytes = LOG_BUFFER_MAX_BYTES): DestinationStream {
  const stream = pino.destination({ fd, sync: false, maxLength: maxBytes });
  stream.on('drop', () => {
    dropped++;
  });
  return stream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.MCP_MANAGER_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // every line, whatever field carries it, passes the one redaction function
      hooks: { streamWrite: redact },
      base: { pid: process.pid },
    },
    options.destination ?? boundedDestination(),
  );
}

/** A logger that writes nothing (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export interface ManagerLogOptions {
  level: string;
  /** `<state-dir>/logs/manager.log`, rotated by size. */
  file: string;
  rotation: { maxSizeBytes: number; keep: number };
  /** Also to fd 2 (default true); a daemon's stderr already goes to the file. */
  stderr?: boolean;
}

/**
 * The manager's own log: always into `logs/manager.log` (rotated), and to stderr unless
 * told otherwise. Never stdout: in `--stdio` mode stdout carries MCP.
 */
export function createManagerLogger(options: ManagerLogOptions): { logger: Logger; close(): Promise<void> } {
  const file = openRotatingFile(options.file, options.rotation);
  const streams: pino.StreamEntry[] = [{ stream: file, level: 'trace' }];
  if (options.stderr !== false) streams.push({ stream: boundedDestination(), level: 'trace' });
  const logger = pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // every line, whatever field carries it, passes the one redaction function
      hooks: { streamWrite: redact },
      base: { pid: process.pid },
    },
    pino.multistream(streams),
  );
  return {
    logger,
    close: () =>
      new Promise<void>((resolve) => {
        if (file.destroyed || file.writableEnded) return resolve();
        file.once('finish', () => resolve());
        file.once('error', () => resolve());
        file.end();
      }),
  };
}
