/**
 * Process groups from /proc (Linux): which live processes belong to a group, and is a
 * pid alive (zombies count as dead). Asynchronous reads only: safe on the main thread.
 * Without /proc (macOS) a group is its leader alone and liveness comes from kill(pid, 0).
 */
import { access, readFile, readdir } from 'node:fs/promises';

interface StatLine {
  state: string;
  pgrp: number;
}

async function readStat(pid: number | string): Promise<StatLine | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: fields start after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

const dead = (state: string) => state === 'Z' || state === 'X' || state === 'x';

/** Every live process grouped by process group id; null when /proc cannot be read. */
export async function scanProcessGroups(): Promise<Map<number, number[]> | null> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  const pids = entries.filter((entry) => /^\d+$/.test(entry));
  const stats = await Promise.all(pids.map((pid) => readStat(pid)));
  const groups = new Map<number, number[]>();
  stats.forEach((stat, i) => {
    if (!stat || dead(stat.state)) return;
    const members = groups.get(stat.pgrp);
    if (members) members.push(Number(pids[i]));
    else groups.set(stat.pgrp, [Number(pids[i])]);
  });
  return groups;
}

let procfs: Promise<boolean> | undefined;
const hasProcfs = () => (procfs ??= access('/proc/self/stat').then(() => true, () => false));

/** The pid exists and is not a zombie (from /proc when there is one, else kill(pid, 0)). */
export async function isProcessAlive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const stat = await readStat(pid);
  if (stat) return !dead(stat.state);
  if (await hasProcfs()) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
