/** Every default and limit of the task runner, in one object. */
export const DEFAULTS = {
  /** Per-task timeout when the call does not give `timeout_seconds`. */
  timeoutSeconds: 300,
  /** Upper bound for `timeout_seconds` (one day). */
  maxTimeoutSeconds: 86_400,
  /** Between SIGTERM and SIGKILL to a task's process group. */
  killGraceMs: 2_000,
  /** Executor used when none is configured and `claude` is on PATH. */
  executor: ['claude', '-p'] as readonly string[],
  maxTaskListBytes: 1024 * 1024,
  maxTaskFileBytes: 1024 * 1024,
  maxTasks: 500,
  /** Task numbers are written as three digits (`NNN_title.md`). */
  maxTaskNumber: 999,
  maxTitleLength: 200,
  /** Characters of the title kept in the task file name. */
  maxSlugLength: 60,
  /** Per stream (stdout, stderr) of one task run; the rest is dropped and marked. */
  maxOutputBytes: 8 * 1024 * 1024,
  maxPathLength: 4096,
} as const;
