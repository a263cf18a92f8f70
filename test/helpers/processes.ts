/**
 * Process inspection for lifecycle tests, read straight from /proc (Linux), independent
 * of the code under test. Zombies count as dead: an orphan whose init does not reap it
 * (common in containers) stays a zombie forever.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

function readStat(pid: number | string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid: Number(pid), state: fields[0] ?? '?', ppid: Number(fields[1]), pgrp: Number(fields[2]) };
}

function allStats(): ProcStat[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readStat(entry))
    .filter((stat): stat is ProcStat => stat !== undefined && stat.state !== 'Z');
}

/** Exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Live (non-zombie) processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  return allStats()
    .filter((stat) => stat.pgrp === pgid)
    .map((stat) => stat.pid);
}

/** Live descendants of `pid` (children, grandchildren, ...). */
export function descendantsOf(pid: number): number[] {
  const stats = allStats();
  const found: number[] = [];
  const queue = [pid];
  for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
    for (const stat of stats) {
      if (stat.ppid === parent) {
        found.push(stat.pid);
        queue.push(stat.pid);
      }
    }
  }
  return found;
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Names what was awaited in the timeout error. */
  what?: string;
}

/** Poll `condition` until it returns a truthy value (which is returned); throws on timeout. */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'condition'}`);
    await sleep(options.intervalMs ?? 20);
  }
}

/** Parse `key=N` from stderr-style lines (e.g. `grandchild-pid=123`). */
export function pidFromLines(lines: readonly string[], key: string): number | undefined {
  const pattern = new RegExp(`(?:^|\\s)${key}=(\\d+)`);
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match?.[1]) return Number(match[1]);
  }
  return undefined;
}

/**
 * Remembers the pids and process groups a test started, and SIGKILLs exactly those
 * in afterEach. Never signals anything it was not given.
 */
export class ProcessTracker {
  private readonly pids = new Set<number>();
  private readonly groups = new Set<number>();

  track(pid: number | null | undefined): void {
    if (pid) this.pids.add(pid);
  }

  trackGroup(pgid: number | null | undefined): void {
    if (pgid) this.groups.add(pgid);
  }

  killAll(): void {
    for (const pgid of this.groups) {
      if (pgid > 1 && pgid !== process.pid) signal(-pgid);
    }
    for (const pid of this.pids) {
      if (pid > 1 && pid !== process.pid && isAlive(pid)) signal(pid);
    }
    this.groups.clear();
    this.pids.clear();
  }
}

function signal(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
