import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { ManagerError } from '../errors.js';
import { isProcessAlive } from '../transports/process-group.js';
import { lockFileOf } from './paths.js';

export interface StateLock {
  readonly file: string;
  readonly pid: number;
  /** Remove the lock file if it still holds our pid. Synchronous, idempotent, never throws. */
  release(): void;
}

/** Liveness as the lock sees it: a zombie holder is gone (see transports/process-group). */
export { isProcessAlive };

/** The pid recorded in `<dir>/manager.pid`, or null when there is no readable lock. */
export function readLockPid(dir: string): number | null {
  return readPid(lockFileOf(dir));
}

function readPid(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const match = /^\s*(\d+)\s*$/.exec(text);
  if (!match?.[1]) return null;
  const pid = Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

const isErrno = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException | null)?.code === code;

/** The refusal when another manager owns `dir`. */
export function managerRunningError(pid: number, dir: string): ManagerError {
  return new ManagerError(
    'MANAGER_RUNNING',
    `mcp-manager is already running (pid ${pid}) with state dir ${dir}; ` +
      'stop it with "mcp-manager stop" or use another --state-dir',
    { data: { pid, stateDir: dir } },
  );
}

/**
 * Take `<dir>/manager.pid`. The file appears atomically with its content (written to a
 * private temp file, then hard-linked into place, which fails if the lock exists), so a
 * reader never sees a half-written pid. A lock whose pid is dead (or unreadable) is stale
 * and taken over; a live pid, including our own, means another manager owns the dir.
 */
export function acquireLock(dir: string, options: { pid?: number } = {}): StateLock {
  const pid = options.pid ?? process.pid;
  const file = lockFileOf(dir);
  const unique = `${pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
  const temp = `${file}.${unique}.tmp`;

  for (let attempt = 0; attempt < 3; attempt++) {
    writeFileSync(temp, `${pid}\n`, { mode: 0o600 });
    try {
      linkSync(temp, file);
      return heldLock(file, pid);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    } finally {
      unlinkQuietly(temp);
    }

    const holder = readPid(file);
    if (holder !== null && isProcessAlive(holder)) throw managerRunningError(holder, dir);

    // Stale. Move it aside atomically, then check we moved the stale file and not a
    // lock another starter created in the meantime; if we did, put that one back.
    const aside = `${file}.${unique}.stale`;
    try {
      renameSync(file, aside);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) continue; // someone else removed it: retry
      throw error;
    }
    const moved = readPid(aside);
    if (moved !== holder && moved !== null && isProcessAlive(moved)) {
      try {
        linkSync(aside, file);
      } catch {
        // a third starter holds the lock now; the retry below sees it
      }
    }
    unlinkQuietly(aside);
  }

  const holder = readPid(file);
  if (holder !== null && isProcessAlive(holder)) throw managerRunningError(holder, dir);
  throw new ManagerError('CONTROL_FAILED', `could not take the lock ${file}: it keeps changing; is another mcp-manager starting?`, {
    data: { stateDir: dir },
  });
}

function heldLock(file: string, pid: number): StateLock {
  let released = false;
  return {
    file,
    pid,
    release() {
      if (released) return;
      released = true;
      if (readPid(file) === pid) unlinkQuietly(file);
    },
  };
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
