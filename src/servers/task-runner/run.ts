import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { CallContext, RunnerContext } from './context.js';
import { TaskRunnerError } from './errors.js';
import { executeTask, requireExecutor, type TaskOutcome } from './execute-task.js';
import { assertNoForeignRun, listTaskNames } from './inspect.js';
import { projectLayout, requireProject, resolveBaseDir, resolveTaskFile } from './paths.js';
import { failure, ok } from './results.js';
import type { RunAllTasksInput, RunTaskInput } from './schemas.js';

/** run_task: one task through the executor. A failed or timed-out task is an isError result. */
export async function runTask(ctx: RunnerContext, input: RunTaskInput, call: CallContext): Promise<CallToolResult> {
  const layout = projectLayout(resolveBaseDir(input.base_dir, ctx.options.baseDir));
  await requireProject(layout);
  const task = await resolveTaskFile(layout, input.task_path);
  const argv = requireExecutor(ctx);
  return ctx.runs.run(layout.dir, async (run) => {
    await assertNoForeignRun(ctx, layout, await ctx.state.read(layout.stateFile));
    const outcome = await executeTask(ctx, layout, task, run, { argv, timeoutMs: input.timeout_seconds * 1000, signal: call.signal });
    if (outcome.status === 'completed') return ok({ base_dir: layout.dir, ...outcome });
    return failure(outcomeError(outcome, layout.dir));
  });
}

function outcomeError(outcome: TaskOutcome, baseDir: string): TaskRunnerError {
  const code = outcome.status === 'timeout' ? 'TASK_TIMEOUT' : outcome.status === 'pending' ? 'INTERRUPTED' : 'TASK_FAILED';
  return new TaskRunnerError(code, `task ${outcome.task} ${outcome.status}: ${outcome.message ?? ''}`, {
    data: { base_dir: baseDir, ...outcome },
  });
}

/**
 * run_all_tasks: every task in tasks/ in name order; failures do not stop the loop. With
 * `resume`, completed tasks are skipped. One progress notification per task when the client
 * sent a progressToken. Cancellation (or clean) kills the running task and stops the loop.
 */
export async function runAllTasks(ctx: RunnerContext, input: RunAllTasksInput, call: CallContext): Promise<CallToolResult> {
  const layout = projectLayout(resolveBaseDir(input.base_dir, ctx.options.baseDir));
  await requireProject(layout);
  return ctx.runs.run(layout.dir, async (run) => {
    const state = await ctx.state.read(layout.stateFile);
    await assertNoForeignRun(ctx, layout, state);
    const names = await listTaskNames(layout);
    const outcomes: TaskOutcome[] = [];
    const skipped: string[] = [];
    let interrupted: string | null = null;
    const progress = async (done: number, message: string): Promise<void> => {
      await call
        .reportProgress?.(done, names.length, message)
        .catch((error: unknown) => ctx.logger.warn({ err: error }, 'progress notification failed'));
    };

    for (const [index, name] of names.entries()) {
      const stopped = call.signal.aborted || run.controller.signal.aborted;
      if (stopped) {
        interrupted = 'run stopped before all tasks ran';
        break;
      }
      if (input.resume && state.tasks[name]?.status === 'completed') {
        skipped.push(name);
        await progress(index + 1, `${name}: skipped (completed)`);
        continue;
      }
      const argv = requireExecutor(ctx);
      const task = { name, file: path.join(layout.tasksDir, name) };
      const outcome = await executeTask(ctx, layout, task, run, { argv, timeoutMs: input.timeout_seconds * 1000, signal: call.signal });
      outcomes.push(outcome);
      await progress(index + 1, `${name}: ${outcome.status}`);
      if (outcome.status === 'pending') {
        interrupted = outcome.message;
        break;
      }
    }

    const count = (status: TaskOutcome['status']): number => outcomes.filter((o) => o.status === status).length;
    const summary = {
      base_dir: layout.dir,
      total: names.length,
      ran: outcomes.length,
      skipped,
      completed: count('completed'),
      failed: count('failed'),
      timeout: count('timeout'),
      results: outcomes,
      ...(interrupted === null ? {} : { interrupted }),
    };
    if (interrupted !== null)
      return failure(new TaskRunnerError('INTERRUPTED', `run_all_tasks interrupted: ${interrupted}`, { data: summary }));
    const bad = summary.failed + summary.timeout;
    if (bad > 0) return failure(new TaskRunnerError('TASK_FAILED', `${bad} of ${summary.ran} tasks did not complete`, { data: summary }));
    return ok(summary);
  });
}
