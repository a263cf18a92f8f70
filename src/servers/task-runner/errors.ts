/**
 * Failures of the task runner carry a SCREAMING_SNAKE `code` and plain-data `data`.
 * The server turns them into `isError` tool results in one place (results.ts).
 */
export type TaskRunnerErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'NOT_A_PROJECT'
  | 'TASK_LIST_INVALID'
  | 'STATE_CORRUPT'
  | 'EXECUTOR_UNAVAILABLE'
  | 'PROJECT_BUSY'
  | 'TASK_FAILED'
  | 'TASK_TIMEOUT'
  | 'INTERRUPTED'
  | 'INTERNAL';

export class TaskRunnerError extends Error {
  readonly code: TaskRunnerErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: TaskRunnerErrorCode, message: string, options: { data?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaskRunnerError';
    this.code = code;
    this.data = options.data ?? {};
  }
}

export function invalidArgument(field: string, message: string): TaskRunnerError {
  return new TaskRunnerError('INVALID_ARGUMENT', `${field}: ${message}`, { data: { field } });
}

/** Node's errno code of a system error (`ENOENT`, `ESRCH`, …), if any. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
