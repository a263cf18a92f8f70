/**
 * Temp files of atomic writes cut short (the manager killed between writing the temp file and
 * renaming it) stay behind in the state dir. The manager that holds the lock is the only
 * writer of its state files, so at start any temp file of theirs is stale and is removed;
 * a lock temp file only when the process that wrote it is gone.
 */
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** `state.json.123456789`, `children.json.42`: the temp names write-file-atomic gives. */
const STATE_TEMP = /^(?:state|children)\.json\.\d{1,10}$/;
/** `manager.pid.<pid>.<time>.<random>.tmp`: the lock's own temp files. */
const LOCK_TEMP = /^manager\.pid\.(\d{1,10})\.[0-9a-z]+\.[0-9a-z]+\.tmp$/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove stale temp files of our own naming in `dir` (regular files only); their names. */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const lock = LOCK_TEMP.exec(name);
    const stale = STATE_TEMP.test(name) || (lock !== null && Number(lock[1]) !== process.pid && !isAlive(Number(lock[1])));
    if (!stale) continue;
    const path = join(dir, name);
    try {
      if (!lstatSync(path).isFile()) continue;
      unlinkSync(path);
      removed.push(name);
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
  return removed;
}
