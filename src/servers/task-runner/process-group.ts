import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { errnoCode } from './errors.js';

/**
 * Liveness and signalling of processes and process groups. On Linux, /proc is read so that
 * zombies (dead, not yet reaped — common under container inits that do not reap) count as gone.
 */
const hasProc = process.platform === 'linux';

/** Process state letter and process group id from /proc/<pid>/stat, or null if there is no such process. */
function procStat(pid: number | string): { state: string; pgid: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) S ppid pgrp …" — comm may hold spaces and parentheses, so cut at the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', pgid: Number(fields[2]) };
}

function signalExists(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

export function isAlive(pid: number): boolean {
  if (!signalExists(pid)) return false;
  if (!hasProc) return true;
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

/** Whether any live (non-zombie) process is in group `pgid`. */
export function groupAlive(pgid: number): boolean {
  if (!signalExists(-pgid)) return false;
  if (!hasProc) return true;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true;
  }
  return names.some((name) => {
    if (!/^\d+$/.test(name)) return false;
    const stat = procStat(name);
    return stat !== null && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X';
  });
}

/** Send `signal` to every process in group `pgid`; false if the group does not exist. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pgid: number, ms: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await delay(pollMs);
  }
  return true;
}

export type KillOutcome = 'already-gone' | 'terminated' | 'killed' | 'survived';

/** SIGTERM the group, wait up to `graceMs`, then SIGKILL it and wait for it to be gone. */
export async function killGroup(pgid: number, graceMs: number, pollMs = 25): Promise<KillOutcome> {
  if (!groupAlive(pgid)) return 'already-gone';
  signalGroup(pgid, 'SIGTERM');
  if (await waitUntilGone(pgid, graceMs, pollMs)) return 'terminated';
  signalGroup(pgid, 'SIGKILL');
  return (await waitUntilGone(pgid, 5_000, pollMs)) ? 'killed' : 'survived';
}
