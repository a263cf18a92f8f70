/** Find an executable the way `spawn` without a shell does: a path as is, else each PATH entry. */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

export type CommandLookup =
  | { found: true; path: string }
  | { found: false; reason: 'not_found' | 'not_executable' | 'is_directory'; /** The path that exists but cannot run. */ path?: string };

/**
 * `command` containing a `/` resolves against `cwd`; a bare name is looked up in `env.PATH`
 * (empty entries mean the current directory, as for execvp).
 */
export async function lookupCommand(command: string, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Promise<CommandLookup> {
  if (command.includes('/') || (process.platform === 'win32' && command.includes('\\'))) {
    return checkExecutable(path.resolve(cwd, command));
  }
  let firstBad: CommandLookup | undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const result = await checkExecutable(path.resolve(cwd, dir || '.', command));
    if (result.found) return result;
    if (result.reason !== 'not_found') firstBad ??= result;
  }
  return firstBad ?? { found: false, reason: 'not_found' };
}

async function checkExecutable(file: string): Promise<CommandLookup> {
  const stats = await stat(file).catch(() => undefined);
  if (!stats) return { found: false, reason: 'not_found' };
  if (stats.isDirectory()) return { found: false, reason: 'is_directory', path: file };
  const executable = await access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
  // root may "execute" any file by access(); a file without any x bit still fails to spawn
  return executable && (stats.mode & 0o111) !== 0 ? { found: true, path: file } : { found: false, reason: 'not_executable', path: file };
}
