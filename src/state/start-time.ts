/**
 * A process's start time, to tell a process from a later one that got the same pid:
 * field 22 of `/proc/PID/stat` (clock ticks since boot). Linux only; elsewhere null,
 * and callers then know only that some process has the pid.
 */
import { readFileSync } from 'node:fs';

/** The start time of `pid` as recorded by the kernel, or null when gone or unknown. */
export function processStartTime(pid: number): string | null {
  if (process.platform !== 'linux' || !Number.isSafeInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ..." — comm may hold spaces and parentheses; field 3 follows the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19]; a zombie is no longer the process.
  if (fields[0] === 'Z') return null;
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : null;
}

/** Whether the process recorded as (`pid`, `startTime`) is still the one running under `pid`. */
export function isSameProcess(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}
