/**
 * `<state-dir>/manager.pid`: which manager owns the state dir. The file holds the
 * owner's pid and its start time (see start-time.ts). A holder is alive only if its
 * control socket answers, or if the process under that pid is still the one that
 * wrote the lock (same start time) and is not us; a pid alone proves nothing (a
 * recycled pid, or our own pid after a container restart with the state dir on a volume).
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { ManagerError } from '../errors.js';
import { isProcessAlive, processStartTime } from '../transports/process-group.js';
import { lockFileOf, socketPathOf } from './paths.js';

export interface StateLock {
  readonly file: string;
  readonly pid: number;
  /** The predecessor whose stale lock was taken over (it did not clean up: crashed or killed). */
  readonly takenOver: StaleHolder | null;
  /** Remove the lock file if it still holds our pid. Synchronous, idempotent, never throws. */
  release(): void;
}

export interface StaleHolder {
  pid: number;
  /** Why the lock was judged stale, for the log. */
  reason: string;
}

export interface LockRecord {
  pid: number;
  /** Start time of `pid` when it took the lock; null in an old-format file or off Linux. */
  startTime: string | null;
}

/** Liveness of a pid (a zombie is gone); on its own, never proof that a manager holds the lock. */

/** The pid recorded in `<dir>/manager.pid`, or null when there is no readable lock. */
export function readLockPid(dir: string): number | null {
  return readRecord(lockFileOf(dir))?.pid ?? null;
}

export function readLockRecord(dir: string): LockRecord | null {
  return readRecord(lockFileOf(dir));
}

function readRecord(file: string): LockRecord | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const match = /^\s*(\d+)\s*(?:\n\s*(\d+)\s*)?$/.exec(text);
  if (!match?.[1]) return null;
  const pid = Number(match[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  return { pid, startTime: match[2] ?? null };
}

const isErrno = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException | null)?.code === code;

/** The refusal when another manager owns `dir`. */
export function managerRunningError(pid: number, dir: string): ManagerError {
  return new ManagerError(
    'MANAGER_RUNNING',
    `mcp-manager is already running (pid ${pid}) with state dir ${dir}; ` + 'stop it with "mcp-manager stop" or use another --state-dir',
    { data: { pid, stateDir: dir } },
  );
}

/** True when something accepts connections on the unix socket (bounded wait). */
export function socketAnswers(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function controlSocketOf(dir: string): string | null {
  try {
    return socketPathOf(dir);
  } catch {
    return null;
  }
}

/**
 * Whether the lock record names a manager that still runs: its control socket answers,
 * or its pid is alive, is not `self`, and still has the recorded start time (a manager
 * still starting, before its socket is up). Returns the reason when it is stale.
 */
export async function judgeHolder(
  dir: string,
  record: LockRecord,
  self = process.pid,
): Promise<{ live: true } | { live: false; reason: string }> {
  const socket = controlSocketOf(dir);
  if (socket !== null && (await socketAnswers(socket))) return { live: true };
  if (record.pid === self) return { live: false, reason: `it names this process's own pid ${self} (a restart reusing the pid)` };
  if (!(await isProcessAlive(record.pid))) return { live: false, reason: `pid ${record.pid} is not running` };
  const now = await processStartTime(record.pid);
  if (record.startTime === null) {
    // an old lock without a start time: only a platform without /proc may trust the pid
    if (now === null && process.platform !== 'linux') return { live: true };
    return { live: false, reason: `pid ${record.pid} is alive but its control socket does not answer` };
  }
  if (now === record.startTime) return { live: true };
  return { live: false, reason: `pid ${record.pid} now belongs to another process (start time differs)` };
}

/**
 * The pid of the manager that holds `dir`, or null when nothing holds it (no lock, or a
 * stale one). What `start --daemon` and `stop` use before acting.
 */
export async function liveHolder(dir: string): Promise<number | null> {
  const record = readLockRecord(dir);
  if (record === null) return null;
  return (await judgeHolder(dir, record, -1)).live ? record.pid : null;
}

/**
 * Take `<dir>/manager.pid`. The file appears atomically with its content (written to a
 * private temp file, then hard-linked into place, which fails if the lock exists), so a
 * reader never sees a half-written record. A stale lock (see `judgeHolder`) is taken over
 * and reported in `takenOver`; a live holder means another manager owns the dir.
 */
export async function acquireLock(dir: string, options: { pid?: number } = {}): Promise<StateLock> {
  const pid = options.pid ?? process.pid;
  const file = lockFileOf(dir);
  const unique = `${pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
  const temp = `${file}.${unique}.tmp`;
  const startTime = await processStartTime(pid);
  let takenOver: StaleHolder | null = null;

  for (let attempt = 0; attempt < 3; attempt++) {
    writeFileSync(temp, `${pid}\n${startTime ?? ''}\n`, { mode: 0o600 });
    try {
      linkSync(temp, file);
      return heldLock(file, pid, takenOver);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    } finally {
      unlinkQuietly(temp);
    }

    const holder = readRecord(file);
    if (holder !== null) {
      const verdict = await judgeHolder(dir, holder, pid);
      if (verdict.live) throw managerRunningError(holder.pid, dir);
      takenOver = { pid: holder.pid, reason: verdict.reason };
    } else {
      takenOver = null; // unreadable: nothing to say about a predecessor
    }

    // Stale. Move it aside atomically, then check we moved the stale file and not a
    // lock another starter created in the meantime; if we did, put that one back.
    const aside = `${file}.${unique}.stale`;
    try {
      renameSync(file, aside);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) continue; // someone else removed it: retry
      throw error;
    }
    const moved = readRecord(aside);
    if (moved !== null && (moved.pid !== holder?.pid || moved.startTime !== holder.startTime)) {
      try {
        linkSync(aside, file);
      } catch {
        // a third starter holds the lock now; the retry below sees it
      }
    }
    unlinkQuietly(aside);
  }

  const holder = readRecord(file);
  if (holder !== null && (await judgeHolder(dir, holder, pid)).live) throw managerRunningError(holder.pid, dir);
  throw new ManagerError('CONTROL_FAILED', `could not take the lock ${file}: it keeps changing; is another mcp-manager starting?`, {
    data: { stateDir: dir },
  });
}

function heldLock(file: string, pid: number, takenOver: StaleHolder | null): StateLock {
  let released = false;
  return {
    file,
    pid,
    takenOver,
    release() {
      if (released) return;
      released = true;
      if (readRecord(file)?.pid === pid) unlinkQuietly(file);
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
