import type { CallToolResult } from '@modelcontextprotocol/server';
import type { RunnerContext } from './context.js';
import { projectLayout, requireProject, resolveBaseDir } from './paths.js';
import { isAlive, killGroup } from './process-group.js';
import { ok } from './results.js';
import type { ProjectOnlyInput } from './schemas.js';
import { pendingEntry } from './state.js';

/**
 * clean: stop this server's run in the project (its task's process group is killed and the task
 * goes back to pending), kill the process groups of `running` entries left by other or crashed
 * servers, reset stale `running` entries to pending, remove temp files of interrupted writes.
 * Results and completed/failed states are kept.
 */
export async function clean(ctx: RunnerContext, input: ProjectOnlyInput): Promise<CallToolResult> {
  const layout = projectLayout(resolveBaseDir(input.base_dir, ctx.options.baseDir));
  await requireProject(layout);

  const ours = ctx.runs.get(layout.dir)?.current ?? null;
  const stoppedRun = await ctx.runs.stop(layout.dir, 'stopped by clean');
  const stopped: { task: string; pid: number; how: string }[] = [];
  if (stoppedRun && ours) stopped.push({ task: ours.task, pid: ours.pid, how: 'run aborted' });

  const state = await ctx.state.read(layout.stateFile);
  const leftovers = Object.entries(state.tasks).filter(([, entry]) => entry.status === 'running');
  const reset: string[] = [];
  for (const [name, entry] of leftovers) {
    if (entry.pid !== null && isAlive(entry.pid)) {
      stopped.push({ task: name, pid: entry.pid, how: await killGroup(entry.pid, ctx.options.killGraceMs) });
    }
    reset.push(name);
  }
  if (reset.length > 0) {
    await ctx.state.update(layout.stateFile, (s) => {
      for (const name of reset) {
        if (s.tasks[name]?.status === 'running') s.tasks[name] = pendingEntry('reset by clean (was running)');
      }
    });
  }
  const removedTempFiles = await ctx.state.removeStrayTempFiles(layout.stateFile);
  ctx.logger.info({ project: layout.dir, stopped, reset, removedTempFiles }, 'clean');
  return ok({ base_dir: layout.dir, stopped, reset, removed_temp_files: removedTempFiles });
}
