import pino, { type Logger, type DestinationStream } from 'pino';

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

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.MCP_MANAGER_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that writes nothing (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
