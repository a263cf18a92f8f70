/**
 * A process's start time, to tell a process from a later one that got the same pid:
 * field 22 of `/proc/PID/stat` (clock ticks since boot). Linux only; elsewhere null,
 * and callers then know only that some process has the pid.
 */
import { procStat } from '../transports/process-group.js';

/** The start time of `pid` as recorded by the kernel, or null when gone or unknown. */
export function processStartTime(pid: number): string | null {
  if (process.platform !== 'linux' || !Number.isSafeInteger(pid) || pid <= 0) return null;
  const stat = procStat(pid);
  // a zombie is no longer the process
  if (!stat || stat.state === 'Z') return null;
  return /^\d+$/.test(stat.startTime) ? stat.startTime : null;
}

/** Whether the process recorded as (`pid`, `startTime`) is still the one running under `pid`. */
export function isSameProcess(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}
