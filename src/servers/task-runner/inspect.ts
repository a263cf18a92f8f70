import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunnerContext } from './context.js';
import { TaskRunnerError } from './errors.js';
import { type ProjectLayout, taskStem } from './paths.js';
import { isAlive } from './process-group.js';
import { pendingEntry, type TaskEntry, type TaskState } from './state.js';

/** Task file names in tasks/, in run order (byte order of the names: 001_… before 002_…). */
export async function listTaskNames(layout: ProjectLayout): Promise<string[]> {
  const entries = await readdir(layout.tasksDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface TaskView extends TaskEntry {
  task: string;
  file: string;
  result_file: string | null;
  error_file: string | null;
  /** `running` in the state file, but its process is gone (e.g. the server crashed). */
  stale?: true;
  /** In the state file, but its task file is no longer in tasks/. */
  missing_file?: true;
}

/** A `running` entry that no run of this process owns. */
export function isForeignRunning(ctx: RunnerContext, layout: ProjectLayout, name: string, entry: TaskEntry): boolean {
  return entry.status === 'running' && ctx.runs.get(layout.dir)?.current?.task !== name;
}

export async function isStale(ctx: RunnerContext, layout: ProjectLayout, name: string, entry: TaskEntry): Promise<boolean> {
  return isForeignRunning(ctx, layout, name, entry) && (entry.pid === null || !(await isAlive(entry.pid)));
}

/** Refuse to start a run while another process's task is live in this project. */
export async function assertNoForeignRun(ctx: RunnerContext, layout: ProjectLayout, state: TaskState): Promise<void> {
  for (const [name, entry] of Object.entries(state.tasks)) {
    if (isForeignRunning(ctx, layout, name, entry) && entry.pid !== null && (await isAlive(entry.pid))) {
      throw new TaskRunnerError(
        'PROJECT_BUSY',
        `task ${name} is running under pid ${entry.pid} (another process); wait for it or call clean`,
        {
          data: { base_dir: layout.dir, task: name, pid: entry.pid },
        },
      );
    }
  }
}

export async function viewTasks(ctx: RunnerContext, layout: ProjectLayout): Promise<{ tasks: TaskView[]; warnings: string[] }> {
  const [names, state] = await Promise.all([listTaskNames(layout), ctx.state.read(layout.stateFile)]);
  const all = [...new Set([...names, ...Object.keys(state.tasks)])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const onDisk = new Set(names);
  const warnings: string[] = [];
  const tasks = await Promise.all(
    all.map(async (name): Promise<TaskView> => {
      const entry = state.tasks[name] ?? pendingEntry();
      const stem = taskStem(name);
      const [result, error] = await Promise.all([exists(layout.resultsDir, `${stem}.result`), exists(layout.resultsDir, `${stem}.error`)]);
      const view: TaskView = {
        task: name,
        file: `tasks/${name}`,
        ...entry,
        result_file: result ? `results/${stem}.result` : null,
        error_file: error ? `results/${stem}.error` : null,
      };
      if (await isStale(ctx, layout, name, entry)) {
        view.stale = true;
        warnings.push(`task ${name} is marked running but its process (pid ${entry.pid ?? 'unknown'}) is gone; call clean to reset it`);
      }
      if (!onDisk.has(name)) view.missing_file = true;
      return view;
    }),
  );
  if (warnings.length > 0 && !ctx.seenProjects.has(layout.dir)) ctx.logger.warn({ project: layout.dir, warnings }, 'stale running tasks');
  ctx.seenProjects.add(layout.dir);
  return { tasks, warnings };
}

async function exists(dir: string, name: string): Promise<boolean> {
  return (await stat(path.join(dir, name)).catch(() => null))?.isFile() ?? false;
}
