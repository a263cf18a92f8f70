import { realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { errnoCode, invalidArgument, TaskRunnerError } from './errors.js';

/**
 * A project directory (`base_dir` of every tool except create_project):
 *   <dir>/tasks/NNN_title.md   task files, run in name order
 *   <dir>/results/NNN_title.result | .error
 *   <dir>/task_state.json
 */
export interface ProjectLayout {
  dir: string;
  tasksDir: string;
  resultsDir: string;
  stateFile: string;
}

export function projectLayout(dir: string): ProjectLayout {
  return {
    dir,
    tasksDir: path.join(dir, 'tasks'),
    resultsDir: path.join(dir, 'results'),
    stateFile: path.join(dir, 'task_state.json'),
  };
}

/** `child` equals `parent` or lies below it (both absolute and normalized). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * `base_dir` as given by a client: absent → the configured default; `~/…` → home;
 * absolute → as is; relative → under the default, and it may not climb out of it.
 */
export function resolveBaseDir(input: string | undefined, defaultDir: string, field = 'base_dir'): string {
  if (input === undefined) return defaultDir;
  const expanded = input === '~' || input.startsWith('~/') ? path.join(homedir(), input.slice(1)) : input;
  if (path.isAbsolute(expanded)) return path.resolve(expanded);
  const resolved = path.resolve(defaultDir, expanded);
  if (!isInside(defaultDir, resolved)) throw invalidArgument(field, `relative path "${input}" escapes the default base dir ${defaultDir}`);
  return resolved;
}

/**
 * An input file named by a client (the markdown task list): relative paths resolve against
 * `baseDir` and may not climb out of it; absolute paths are read as given. Must be a regular file.
 */
export async function resolveInputFile(input: string, baseDir: string, field: string, maxBytes: number): Promise<string> {
  const file = path.isAbsolute(input) ? path.resolve(input) : path.resolve(baseDir, input);
  if (!path.isAbsolute(input) && !isInside(baseDir, file))
    throw invalidArgument(field, `"${input}" resolves outside base_dir (${baseDir})`);
  const info = await stat(file).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') throw new TaskRunnerError('NOT_FOUND', `${field}: no such file: ${file}`, { data: { field } });
    throw invalidArgument(field, `cannot read ${file}: ${(error as Error).message}`);
  });
  if (!info.isFile()) throw invalidArgument(field, `${file} is not a regular file`);
  if (info.size > maxBytes) throw invalidArgument(field, `${file} is ${info.size} bytes; the limit is ${maxBytes}`);
  return file;
}

/** Fail unless `dir` holds a `tasks/` directory. */
export async function requireProject(layout: ProjectLayout): Promise<void> {
  const info = await stat(layout.tasksDir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new TaskRunnerError(
      'NOT_A_PROJECT',
      `base_dir: ${layout.dir} is not a project (no tasks/ directory); call create_project or parse_task_list first`,
      { data: { field: 'base_dir', base_dir: layout.dir } },
    );
  }
}

export interface TaskRef {
  /** File name inside tasks/, e.g. `001_setup.md`; the key in task_state.json. */
  name: string;
  file: string;
}

/** `001_setup.md` → `001_setup` */
export function taskStem(name: string): string {
  return name.replace(/\.md$/, '');
}

/**
 * `task_path` names a `.md` file directly inside `<base_dir>/tasks/`. It may be given relative
 * to `tasks/` (`001_setup.md`), relative to base_dir (`tasks/001_setup.md`) or absolute.
 * Anything resolving elsewhere — `../` climbs, symlinks pointing out — is refused.
 */
export async function resolveTaskFile(layout: ProjectLayout, input: string): Promise<TaskRef> {
  const candidates = path.isAbsolute(input)
    ? [path.resolve(input)]
    : [path.resolve(layout.tasksDir, input), path.resolve(layout.dir, input)];
  const eligible = candidates.filter((c) => path.dirname(c) === layout.tasksDir && c.endsWith('.md'));
  if (eligible.length === 0) {
    if (!candidates.some((c) => isInside(layout.dir, c)))
      throw invalidArgument('task_path', `"${input}" resolves outside base_dir (${layout.dir})`);
    throw invalidArgument('task_path', `"${input}" must name a .md file directly inside ${layout.tasksDir}`);
  }
  for (const file of eligible) {
    const info = await stat(file).catch(() => null);
    if (!info) continue;
    if (!info.isFile()) throw invalidArgument('task_path', `${file} is not a regular file`);
    const [realFile, realTasks] = await Promise.all([realpath(file), realpath(layout.tasksDir)]);
    if (path.dirname(realFile) !== realTasks)
      throw invalidArgument('task_path', `"${input}" is a link that resolves outside ${layout.tasksDir}`);
    return { name: path.basename(file), file };
  }
  throw new TaskRunnerError('NOT_FOUND', `task_path: no task file "${input}" in ${layout.tasksDir}`, { data: { field: 'task_path' } });
}
