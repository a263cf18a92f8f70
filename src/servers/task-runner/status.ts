import type { CallToolResult } from '@modelcontextprotocol/server';
import type { RunnerContext } from './context.js';
import { viewTasks } from './inspect.js';
import { projectLayout, requireProject, resolveBaseDir } from './paths.js';
import { ok } from './results.js';
import type { ProjectOnlyInput } from './schemas.js';
import { TASK_STATUSES, type TaskStatus } from './state.js';

/** get_task_status: every task with its state; stale `running` entries are flagged and warned about. */
export async function getTaskStatus(ctx: RunnerContext, input: ProjectOnlyInput): Promise<CallToolResult> {
  const layout = projectLayout(resolveBaseDir(input.base_dir, ctx.options.baseDir));
  await requireProject(layout);
  const { tasks, warnings } = await viewTasks(ctx, layout);
  return ok({ base_dir: layout.dir, tasks, warnings });
}

/** get_task_summary: totals per status and completion_pct (completed / total, one decimal). */
export async function getTaskSummary(ctx: RunnerContext, input: ProjectOnlyInput): Promise<CallToolResult> {
  const layout = projectLayout(resolveBaseDir(input.base_dir, ctx.options.baseDir));
  await requireProject(layout);
  const { tasks, warnings } = await viewTasks(ctx, layout);
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, tasks.filter((t) => t.status === s).length])) as Record<
    TaskStatus,
    number
  >;
  const total = tasks.length;
  return ok({
    base_dir: layout.dir,
    total,
    ...counts,
    stale: tasks.filter((t) => t.stale).length,
    completion_pct: total === 0 ? 0 : Math.round((counts.completed / total) * 1000) / 10,
    warnings,
  });
}
