/**
 * Local failures carry a SCREAMING_SNAKE `code` and plain-data `data`.
 * They become JSON-RPC errors only at the gateway, in one mapping.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'SPAWN_FAILED'
  | 'TRANSPORT_UNSUPPORTED'
  | 'SERVER_EXITED'
  | 'INITIALIZE_TIMEOUT'
  | 'INITIALIZE_FAILED'
  | 'INCOMPATIBLE'
  | 'SERVER_UNAVAILABLE'
  | 'SERVER_BUSY'
  | 'CALL_NOT_RETRIED'
  | 'SERVER_NOT_FOUND'
  | 'TOOL_NOT_FOUND'
  | 'MANAGER_RUNNING'
  | 'MANAGER_NOT_RUNNING'
  | 'CONTROL_FAILED'
  | 'USAGE'
  | 'INTERNAL';

const brand = Symbol.for('mcp-manager.ManagerError');

export class ManagerError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;
  readonly [brand] = true;

  constructor(code: ErrorCode, message: string, options: { data?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ManagerError';
    this.code = code;
    this.data = options.data ?? {};
  }

  /** Brand check that survives duplicate module copies (unlike `instanceof`). */
  static is(value: unknown): value is ManagerError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  toJSON(): { code: ErrorCode; message: string; data: Record<string, unknown> } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/** One problem found in a config file, located by file, path and line:column. */
export interface ConfigIssue {
  file: string;
  /** Dotted path inside the document, e.g. `servers.github.command`. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export class ConfigError extends ManagerError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const head = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super('CONFIG_INVALID', `invalid config (${head}):\n${issues.map((i) => `  ${formatConfigIssue(i)}`).join('\n')}`, {
      data: { issues },
    });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** How a server process ended: data, shaped like a result. */
export interface ExitInfo {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string[];
}

export function describeExit(exit: Pick<ExitInfo, 'exitCode' | 'signal'>): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.exitCode === null) return 'exited';
  return `exited with code ${exit.exitCode}`;
}

export class ServerExitError extends ManagerError implements ExitInfo {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: string[];

  constructor(server: string, exit: ExitInfo) {
    const tail = exit.stderrTail.length ? `\n  stderr (last lines):\n${exit.stderrTail.map((l) => `    ${l}`).join('\n')}` : '';
    super('SERVER_EXITED', `server "${server}" ${describeExit(exit)}${tail}`, {
      // `at`: when the exit was reported (ms since epoch), shown as the last exit's time
      data: { server, exitCode: exit.exitCode, signal: exit.signal, stderrTail: exit.stderrTail, at: Date.now() },
    });
    this.name = 'ServerExitError';
    this.exitCode = exit.exitCode;
    this.signal = exit.signal;
    this.stderrTail = exit.stderrTail;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
