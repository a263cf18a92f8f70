/**
 * Process groups: a stdio server is spawned detached (its own session and group,
 * pgid = pid), so one signal to the group reaches wrappers (npx, `uv run`) and
 * everything they started.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The strongest signal the stop ladder had to send. */
export type StopEscalation = 'none' | 'SIGTERM' | 'SIGKILL';

export interface StopProcessGroupOptions {
  /** After `closeInput`, wait this long for a voluntary exit before SIGTERM. */
  graceMs: number;
  /** After SIGTERM, wait this long before SIGKILL. */
  timeoutMs: number;
  /** Resolves when the leader has exited (e.g. `transport.exited`); without it the pid is polled. */
  exited?: Promise<unknown>;
  /** The polite first rung, e.g. end the child's stdin. */
  closeInput?: () => void;
  /** After SIGKILL, how long to wait for the leader and group to disappear. Default 2000. */
  killWaitMs?: number;
  /** How often to look at the group while waiting. Default 25. */
  pollMs?: number;
}

export interface StopResult {
  escalation: StopEscalation;
  leaderExited: boolean;
  /** false only when members survived SIGKILL for `killWaitMs` (e.g. stuck in uninterruptible sleep). */
  groupEmpty: boolean;
}

const DEFAULT_KILL_WAIT_MS = 2000;
const DEFAULT_POLL_MS = 25;

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function assertGroupId(pgid: number): void {
  // kill(-0) and kill(-1) would hit our own group or every process we may signal.
  if (!Number.isInteger(pgid) || pgid <= 1 || pgid === process.pid) {
    throw new RangeError(`refusing to signal process group ${pgid}`);
  }
}

/** Send `signal` to every process in group `pgid`. false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  assertGroupId(pgid);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Synchronous SIGKILL to a group, for `process.on('exit')` in the manager so no
 * child outlives it. Never throws.
 */
export function killGroupSync(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  try {
    return signalGroup(pgid, signal);
  } catch {
    return false;
  }
}

/**
 * Fields of /proc/<pid>/stat: state (field 3), process group (field 5) and start time
 * (field 22, clock ticks since boot). undefined when the process is gone.
 */
export function procStat(pid: number | string): { state: string; pgrp: number; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses, so
  // fields are counted from the last ')': fields[0] is field 3.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), startTime: fields[19] ?? '' };
}

const onLinux = process.platform === 'linux';

/**
 * Whether the group still has a member that is not a zombie. Zombies count as gone:
 * an orphan whose init does not reap it (common in containers) stays a zombie forever.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  assertGroupId(pgid);
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    // EPERM: the group exists but is not ours to signal; let /proc decide.
    if (errnoCode(error) !== 'EPERM') return false;
  }
  if (!onLinux) return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const stat = procStat(entry);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') return true;
  }
  return false;
}

/** Whether `pid` exists and is not a zombie (EPERM: it exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  // kill(0) and kill(-n) would test a group, not this pid
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
  if (!onLinux) return true;
  const stat = procStat(String(pid));
  return stat !== undefined && stat.state !== 'Z';
}

/**
 * The stop ladder: `closeInput` → wait `graceMs` → SIGTERM to the group → wait
 * `timeoutMs` → SIGKILL to the group → wait `killWaitMs`. Every wait ends early once
 * the leader has exited AND the group has no live member, so grandchildren left
 * behind by a quickly exiting leader get the same treatment. Throws only a
 * RangeError for a pid that is not a group id we may signal (0, 1, our own).
 */
export async function stopProcessGroup(pid: number, options: StopProcessGroupOptions): Promise<StopResult> {
  assertGroupId(pid);
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  let leaderExited = false;
  // Without an `exited` promise (or if it rejects) the leader's pid is polled instead.
  let pollLeader = options.exited === undefined;
  const leaderDone = options.exited?.then(
    () => {
      leaderExited = true;
    },
    () => {
      pollLeader = true;
    },
  );
  const leaderGone = (): boolean => {
    if (!leaderExited && pollLeader) leaderExited = !isProcessAlive(pid);
    return leaderExited;
  };
  const allGone = (): boolean => leaderGone() && !groupHasLiveMembers(pid);

  const waitAllGone = async (timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (allGone()) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      const tick = sleep(Math.min(pollMs, remaining));
      // Wake as soon as the leader exits; afterwards only the group is polled.
      await (leaderExited || pollLeader || !leaderDone ? tick : Promise.race([tick, leaderDone]));
    }
  };

  try {
    options.closeInput?.();
  } catch {
    // The input may already be closed; the signals below still apply.
  }
  if (await waitAllGone(options.graceMs)) return { escalation: 'none', leaderExited: true, groupEmpty: true };
  killGroupSync(pid, 'SIGTERM');
  if (await waitAllGone(options.timeoutMs)) return { escalation: 'SIGTERM', leaderExited: true, groupEmpty: true };
  killGroupSync(pid, 'SIGKILL');
  const groupEmpty = await waitAllGone(options.killWaitMs ?? DEFAULT_KILL_WAIT_MS);
  return { escalation: 'SIGKILL', leaderExited: leaderGone(), groupEmpty: groupEmpty || !groupHasLiveMembers(pid) };
}
