import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { RunnerContext } from './context.js';
import { DEFAULTS } from './defaults.js';
import { TaskRunnerError } from './errors.js';
import { assertNoForeignRun } from './inspect.js';
import { type ParsedTask, parseTaskList } from './parse.js';
import { type ProjectLayout, projectLayout, resolveBaseDir, resolveInputFile } from './paths.js';
import { ok } from './results.js';
import type { CreateProjectInput, ParseTaskListInput } from './schemas.js';
import { pendingEntry } from './state.js';

/** create_project: `<base_dir>/<project_name>/{tasks,results}` and an empty state; parse a list if given. */
export async function createProject(ctx: RunnerContext, input: CreateProjectInput): Promise<CallToolResult> {
  const parent = resolveBaseDir(input.base_dir, ctx.options.baseDir);
  const layout = projectLayout(path.join(parent, input.project_name));
  // Validate the list before creating anything, so a bad list leaves no half-made project.
  const list = input.task_list_path === undefined ? undefined : await loadTaskList(input.task_list_path, parent);
  const existed = (await stat(layout.dir).catch(() => null)) !== null;
  await ensureProjectDirs(layout);
  await ctx.state.update(layout.stateFile, () => undefined);
  const parsed = list === undefined ? undefined : await writeTasks(ctx, layout, list);
  return ok({
    project: input.project_name,
    project_dir: layout.dir,
    created: !existed,
    next: `pass base_dir: ${JSON.stringify(layout.dir)} to the other tools`,
    ...(parsed ?? { message: 'Project structure created. Use a task list to add tasks.' }),
  });
}

/** parse_task_list: split the markdown list into tasks/NNN_title.md, each pending. */
export async function parseTaskListTool(ctx: RunnerContext, input: ParseTaskListInput): Promise<CallToolResult> {
  const layout = projectLayout(resolveBaseDir(input.base_dir, ctx.options.baseDir));
  const list = await loadTaskList(input.task_list_path, layout.dir);
  await ensureProjectDirs(layout);
  return ok({ base_dir: layout.dir, ...(await writeTasks(ctx, layout, list)) });
}

async function ensureProjectDirs(layout: ProjectLayout): Promise<void> {
  await mkdir(layout.tasksDir, { recursive: true });
  await mkdir(layout.resultsDir, { recursive: true });
}

interface TaskList {
  file: string;
  tasks: ParsedTask[];
}

async function loadTaskList(listPath: string, relativeTo: string): Promise<TaskList> {
  const file = await resolveInputFile(listPath, relativeTo, 'task_list_path', DEFAULTS.maxTaskListBytes);
  return { file, tasks: parseTaskList(await readFile(file, 'utf8'), DEFAULTS) };
}

/**
 * (Re)write the list's task files. Tasks named by the list become pending; other files
 * already in tasks/ and their state are left alone.
 */
async function writeTasks(
  ctx: RunnerContext,
  layout: ProjectLayout,
  list: TaskList,
): Promise<{ task_list: string; task_files: string[]; count: number; tasks: { number: number; title: string; file: string }[] }> {
  if (ctx.runs.get(layout.dir)) {
    throw new TaskRunnerError('PROJECT_BUSY', `a run is active in ${layout.dir}; parse the list again when it has finished`, {
      data: { base_dir: layout.dir },
    });
  }
  assertNoForeignRun(ctx, layout, await ctx.state.read(layout.stateFile));
  await Promise.all(list.tasks.map((task) => writeFile(path.join(layout.tasksDir, task.fileName), task.content, 'utf8')));
  await ctx.state.update(layout.stateFile, (state) => {
    for (const task of list.tasks) state.tasks[task.fileName] = pendingEntry();
  });
  ctx.logger.info({ project: layout.dir, tasks: list.tasks.length }, 'task list parsed');
  // `task_files` (absolute paths) and `count` are the original task runner's fields
  return {
    task_list: list.file,
    task_files: list.tasks.map((t) => path.join(layout.tasksDir, t.fileName)),
    count: list.tasks.length,
    tasks: list.tasks.map((t) => ({ number: t.number, title: t.title, file: `tasks/${t.fileName}` })),
  };
}
