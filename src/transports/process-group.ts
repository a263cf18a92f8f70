/**
 * Process groups and the processes in them. A stdio server is spawned detached (its own
 * session and group, pgid = pid), so one signal to the group reaches wrappers (npx,
 * `uv run`) and everything they started.
 *
 * This is the one reader of `/proc` (Linux). A whole scan of it is asynchronous; the few
 * entries of one group are read synchronously (a procfs read never waits on a disk).
 * Zombies are never members or alive: an exited process its parent has not reaped yet (or
 * an orphan whose init never reaps it, common in containers) runs nothing. Without
 * `/proc` (macOS) a group's liveness comes from kill(-pgid, 0) and a process's from
 * kill(pid, 0).
 */
import { readFileSync } from 'node:fs';
import { access, readFile, readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { settledWithin } from '../wait.js';

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
 * Synchronous signal to a group (SIGKILL by default), also for `process.on('exit')` in
 * the manager so no child outlives it. Never throws.
 */
export function killGroupSync(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  try {
    return signalGroup(pgid, signal);
  } catch {
    return false;
  }
}

/** What this module reads of `/proc/<pid>/stat`. */
export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (dead), … */
  state: string;
  /** Field 5. */
  pgrp: number;
  /** Field 22: clock ticks since boot; with the pid it names one process for good. */
  startTime: string;
}

/** `/proc/<pid>/stat`, or undefined when the process is gone (or there is no /proc). */
export async function readProcStat(pid: number | string): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

/**
 * The same, read synchronously: for the few entries of one group at a time (a procfs read
 * never waits on a disk, and a tiny one costs far less than the thread-pool round trips of
 * an asynchronous one). A whole scan of `/proc` stays asynchronous.
 */
export function readProcStatSync(pid: number | string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

function parseProcStat(text: string): ProcStat {
  // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses, so
  // fields are counted from the last ')': fields[0] is field 3.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]), startTime: fields[19] ?? '' };
}

/** A zombie or dead entry: the process has exited, only its record remains. */
const hasExited = (stat: ProcStat): boolean => stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';

let procfs: Promise<boolean> | undefined;
const hasProcfs = (): Promise<boolean> =>
  (procfs ??= access('/proc/self/stat').then(
    () => true,
    () => false,
  ));

/** Whether `pid` exists and is not a zombie (EPERM: it exists, owned by someone else). */
export async function isProcessAlive(pid: number): Promise<boolean> {
  // kill(0) and kill(-n) would test a group, not this pid
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (errnoCode(error) !== 'EPERM') return false;
  }
  if (!(await hasProcfs())) return true;
  const stat = readProcStatSync(pid);
  return stat !== undefined && !hasExited(stat);
}

/** The start time of `pid` as recorded by the kernel, or null when gone, a zombie, or unknown (no /proc). */
export async function processStartTime(pid: number): Promise<string | null> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  const stat = await readProcStat(pid);
  if (!stat || hasExited(stat)) return null;
  return /^\d+$/.test(stat.startTime) ? stat.startTime : null;
}

/** Whether the process recorded as (`pid`, `startTime`) is still the one running under `pid`. */
export async function isSameProcess(pid: number, startTime: string): Promise<boolean> {
  return (await processStartTime(pid)) === startTime;
}

/**
 * Every live process by process group id, from one pass over `/proc`; null without /proc.
 * For looking at many groups at once (the health sampler); one group is `GroupWatch`'s.
 */
export async function processGroups(): Promise<Map<number, number[]> | null> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  const pids = entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
  const stats = await Promise.all(pids.map((pid) => readProcStat(pid)));
  const groups = new Map<number, number[]>();
  stats.forEach((stat, i) => {
    if (!stat || hasExited(stat)) return;
    const members = groups.get(stat.pgrp);
    if (members) members.push(pids[i]!);
    else groups.set(stat.pgrp, [pids[i]!]);
  });
  return groups;
}

/**
 * The members of one process group, followed cheaply: each look reads only the remembered
 * members' `/proc` entries and their children's, never the whole of `/proc`. A member that
 * left the process tree while staying in the group (a daemon whose parent exited before it
 * was seen) is found only by a full scan: callers feed those in with `remember`.
 */
export class GroupMembers {
  private readonly known = new Set<number>();

  constructor(readonly pgid: number) {
    this.known.add(pgid);
  }

  /** Members a full scan found. */
  remember(pids: Iterable<number>): void {
    for (const pid of pids) this.known.add(pid);
  }

  /**
   * The remembered members alive now (not zombies, still in the group), read fresh; their
   * children are remembered for the next look (new children usually stay in the group).
   */
  live(): number[] {
    const alive: number[] = [];
    for (const pid of [...this.known]) {
      const stat = readProcStatSync(pid);
      if (!stat || hasExited(stat) || stat.pgrp !== this.pgid) {
        this.known.delete(pid);
        continue;
      }
      alive.push(pid);
      for (const child of childrenOf(pid)) this.known.add(child);
    }
    return alive;
  }
}

/**
 * Follows one process group while it is being stopped (see `GroupMembers`); the whole of
 * `/proc` is read again only when the kernel says the group still exists but none of the
 * remembered members is alive (they exited and something else is left in the group).
 */
export class GroupWatch {
  private readonly members: GroupMembers;

  constructor(readonly pgid: number) {
    assertGroupId(pgid);
    this.members = new GroupMembers(pgid);
  }

  /** Whether the group has a member that is not a zombie. */
  async hasLiveMembers(): Promise<boolean> {
    try {
      process.kill(-this.pgid, 0);
    } catch (error) {
      // EPERM: the group exists but is not ours to signal; let /proc decide.
      if (errnoCode(error) !== 'EPERM') return false;
    }
    if (!(await hasProcfs())) return true;
    if (this.members.live().length > 0) return true;
    const groups = await processGroups();
    if (groups === null) return true;
    const found = groups.get(this.pgid) ?? [];
    this.members.remember(found);
    return found.length > 0;
  }
}

/** The children of `pid` (from its main thread's `children` file); empty when unknown. */
function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text
      .split(' ')
      .filter((s) => /^\d+$/.test(s))
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether group `pgid` still has a member that is not a zombie. */
export function groupHasLiveMembers(pgid: number): Promise<boolean> {
  return new GroupWatch(pgid).hasLiveMembers();
}

/**
 * The stop ladder: `closeInput` → wait `graceMs` → SIGTERM to the group → wait
 * `timeoutMs` → SIGKILL to the group → wait `killWaitMs`. Every wait ends early once
 * the leader has exited AND the group has no live member, so grandchildren left
 * behind by a quickly exiting leader get the same treatment. Only this group is looked
 * at (see `GroupWatch`). Throws only a RangeError for a pid that is not a group id we may
 * signal (0, 1, our own).
 */
export async function stopProcessGroup(pid: number, options: StopProcessGroupOptions): Promise<StopResult> {
  const group = new GroupWatch(pid);
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
  const leaderGone = async (): Promise<boolean> => {
    if (!leaderExited && pollLeader) leaderExited = !(await isProcessAlive(pid));
    return leaderExited;
  };
  const allGone = async (): Promise<boolean> => (await leaderGone()) && !(await group.hasLiveMembers());

  const waitAllGone = async (timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await allGone()) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      const tick = Math.min(pollMs, remaining);
      // Wake as soon as the leader exits; afterwards only the group is polled.
      await (leaderExited || pollLeader || !leaderDone ? sleep(tick) : settledWithin(leaderDone, tick));
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
  return { escalation: 'SIGKILL', leaderExited: await leaderGone(), groupEmpty: groupEmpty || !(await group.hasLiveMembers()) };
}
