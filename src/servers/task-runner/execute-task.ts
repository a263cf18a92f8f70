import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeExit } from '../../errors.js';
import type { RunnerContext } from './context.js';
import { DEFAULTS } from './defaults.js';
import { invalidArgument, TaskRunnerError } from './errors.js';
import { execute, type ExecuteResult } from './executor.js';
import { type ProjectLayout, type TaskRef, taskStem } from './paths.js';
import type { ActiveRun } from './runs.js';
import { TaskEntrySchema, type TaskStatus } from './state.js';

/**
 * One task through the executor: mark it running (with its pid), run it, write
 * `results/<task>.result` (stdout) on success or `results/<task>.error` on failure or timeout,
 * record the outcome. An interrupted run (clean, cancellation, shutdown) goes back to pending.
 */
export interface TaskOutcome {
  task: string;
  status: TaskStatus;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number;
  result_file: string | null;
  error_file: string | null;
  message: string | null;
}

/** The executor argv, or EXECUTOR_UNAVAILABLE saying how to configure one. */
export function requireExecutor(ctx: RunnerContext): readonly string[] {
  const setting = ctx.options.executor;
  if (setting.argv === null) throw new TaskRunnerError('EXECUTOR_UNAVAILABLE', setting.problem);
  return setting.argv;
}

export async function executeTask(
  ctx: RunnerContext,
  layout: ProjectLayout,
  task: TaskRef,
  run: ActiveRun,
  options: { argv: readonly string[]; timeoutMs: number; signal: AbortSignal },
): Promise<TaskOutcome> {
  const info = await stat(task.file);
  if (info.size > DEFAULTS.maxTaskFileBytes)
    throw invalidArgument('task_path', `${task.file} is ${info.size} bytes; the limit is ${DEFAULTS.maxTaskFileBytes}`);
  const input = await readFile(task.file, 'utf8');
  let marked: Promise<void> = Promise.resolve();

  ctx.logger.info({ project: layout.dir, task: task.name }, 'task starting');
  const result = await execute({
    argv: options.argv,
    input,
    cwd: layout.dir,
    env: { ...process.env, TASK_RUNNER_TASK: task.name, TASK_RUNNER_TASK_FILE: task.file, TASK_RUNNER_PROJECT_DIR: layout.dir },
    timeoutMs: options.timeoutMs,
    killGraceMs: ctx.options.killGraceMs,
    maxOutputBytes: DEFAULTS.maxOutputBytes,
    signal: AbortSignal.any([options.signal, run.controller.signal]),
    onSpawn: (pid) => {
      run.current = { task: task.name, pid };
      marked = ctx.state.update(layout.stateFile, (state) => {
        state.tasks[task.name] = TaskEntrySchema.parse({
          status: 'running',
          pid,
          server_pid: process.pid,
          started_at: new Date().toISOString(),
        });
      });
    },
  });
  await marked.catch((error: unknown) => ctx.logger.error({ err: error, task: task.name }, 'could not record running state'));
  run.current = null;

  const outcome = await recordFiles(layout, task, result, options.timeoutMs);
  await ctx.state.update(layout.stateFile, (state) => {
    state.tasks[task.name] = TaskEntrySchema.parse({
      status: outcome.status,
      pid: outcome.pid,
      server_pid: process.pid,
      started_at: state.tasks[task.name]?.started_at ?? null,
      finished_at: new Date().toISOString(),
      duration_ms: outcome.duration_ms,
      exit_code: outcome.exit_code,
      signal: outcome.signal,
      message: outcome.message,
    });
  });
  ctx.logger.info({ project: layout.dir, task: task.name, status: outcome.status, message: outcome.message }, 'task finished');
  return outcome;
}

function classify(result: ExecuteResult, timeoutMs: number): { status: TaskStatus; message: string | null } {
  switch (result.ending) {
    case 'exited':
      return result.exitCode === 0
        ? { status: 'completed', message: null }
        : { status: 'failed', message: `executor ${describeExit(result)}` };
    case 'spawn-failed':
      return { status: 'failed', message: result.detail };
    case 'timeout':
      return { status: 'timeout', message: `timed out after ${timeoutMs / 1000} s; its process group was killed` };
    case 'aborted':
      return { status: 'pending', message: `interrupted (${result.detail ?? 'aborted'}); its process group was killed` };
  }
}

async function recordFiles(layout: ProjectLayout, task: TaskRef, result: ExecuteResult, timeoutMs: number): Promise<TaskOutcome> {
  const { status, message } = classify(result, timeoutMs);
  const stem = taskStem(task.name);
  const resultFile = path.join(layout.resultsDir, `${stem}.result`);
  const errorFile = path.join(layout.resultsDir, `${stem}.error`);
  const outcome: TaskOutcome = {
    task: task.name,
    status,
    pid: result.pid,
    exit_code: result.exitCode,
    signal: result.signal,
    duration_ms: result.durationMs,
    result_file: null,
    error_file: null,
    message,
  };
  if (status === 'completed') {
    await writeFile(resultFile, result.stdout, 'utf8');
    await unlink(errorFile).catch(() => undefined);
    outcome.result_file = `results/${stem}.result`;
  } else if (status === 'failed' || status === 'timeout') {
    await writeFile(errorFile, errorReport(outcome, result), 'utf8');
    await unlink(resultFile).catch(() => undefined);
    outcome.error_file = `results/${stem}.error`;
  }
  return outcome;
}

function errorReport(outcome: TaskOutcome, result: ExecuteResult): string {
  return [
    `task: ${outcome.task}`,
    `status: ${outcome.status}`,
    `reason: ${outcome.message ?? ''}`,
    `exit_code: ${String(outcome.exit_code)}`,
    `signal: ${String(outcome.signal)}`,
    `duration_ms: ${outcome.duration_ms}`,
    `finished_at: ${new Date().toISOString()}`,
    '--- stderr ---',
    result.stderr,
    '--- stdout ---',
    result.stdout,
  ].join('\n');
}
