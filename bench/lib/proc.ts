/** Child-process helpers: spawn and track, wait for exit (bounded), RSS, clean-up by pid. */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Wall-clock time in epoch ms with sub-ms resolution, comparable across processes on one machine. */
export const nowEpoch = (): number => performance.timeOrigin + performance.now();

/**
 * Passed as `--import` to an orchestrator process: the first user code that runs prints
 * the epoch time to stderr, which marks the end of Node's own boot.
 */
export const BOOT_MARK_PREFIX = 'bench-boot-at=';
export const BOOT_MARK_IMPORT = `data:text/javascript,process.stderr.write(${JSON.stringify(BOOT_MARK_PREFIX)}+(performance.timeOrigin+performance.now())+"\\n")`;

/** Everything this bench process started and has not yet seen exit. */
const live = new Set<ChildProcess>();

export interface Spawned {
  child: ChildProcess;
  /** Epoch ms just before `spawn()`. */
  spawnAt: number;
  /** Resolves with how the process ended; never rejects. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last stderr lines (for error reports). */
  stderrTail(): string[];
  /** Epoch ms printed by BOOT_MARK_IMPORT, once seen. */
  bootAt(): number | undefined;
}

export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): Spawned {
  const spawnAt = nowEpoch();
  const child = spawn(command, [...args], options);
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  }).finally(() => live.delete(child));

  const tail: string[] = [];
  let bootAt: number | undefined;
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (bootAt === undefined && line.startsWith(BOOT_MARK_PREFIX)) {
        bootAt = Number(line.slice(BOOT_MARK_PREFIX.length));
        continue;
      }
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  });
  return { child, spawnAt, exited, stderrTail: () => [...tail, ...(partial ? [partial] : [])], bootAt: () => bootAt };
}

/** Wait for exit; after `timeoutMs` SIGKILL it (by pid) and wait a little more. True when it exited on its own. */
export async function waitForExit(spawned: Spawned, timeoutMs: number): Promise<boolean> {
  const done = await Promise.race([spawned.exited.then(() => true), sleep(timeoutMs, false, { ref: false })]);
  if (done) return true;
  if (spawned.child.pid !== undefined) killPid(spawned.child.pid, 'SIGKILL');
  await Promise.race([spawned.exited, sleep(5_000, undefined, { ref: false })]);
  return false;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isZombie(pid: number): boolean {
  try {
    // the state field follows the parenthesised command name
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Wait (bounded) until none of `pids` is alive; SIGKILL the stragglers by pid.
 * Returns how many had to be killed.
 */
export async function reapPids(pids: readonly number[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(20);
    alive = alive.filter(isAlive);
  }
  for (const pid of alive) killPid(pid, 'SIGKILL');
  return alive.length;
}

export interface Memory {
  /** Resident set size now. */
  rssBytes: number;
  /** Peak resident set size (VmHWM); undefined where /proc is not available. */
  peakRssBytes?: number;
}

/** RSS of one process (not its children): /proc/<pid>/status on Linux, `ps` elsewhere. */
export function readMemory(pid: number): Memory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kB = (key: string) => {
      const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return match ? Number(match[1]) * 1024 : undefined;
    };
    const rss = kB('VmRSS');
    if (rss !== undefined) {
      const peak = kB('VmHWM');
      return peak === undefined ? { rssBytes: rss } : { rssBytes: rss, peakRssBytes: peak };
    }
  } catch {
    // not Linux: fall through
  }
  const out = execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  return { rssBytes: Number(out.trim()) * 1024 };
}

let clockTicks: number | undefined;

/** CPU time (user + system) a process has used so far, in ms; undefined without /proc. 10 ms resolution. */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name: state(3) … utime(14) stime(15)
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return Number.isFinite(ticks) ? (ticks * 1000) / clockTicks : undefined;
  } catch {
    return undefined;
  }
}

/** Summed CPU time of `pids`; undefined when any cannot be read. */
export function readCpuMsOfAll(pids: readonly number[]): number | undefined {
  let sum = 0;
  for (const pid of pids) {
    const ms = readCpuMs(pid);
    if (ms === undefined) return undefined;
    sum += ms;
  }
  return sum;
}

/** On Ctrl-C / SIGTERM: stop what we started (by pid), give it a moment, then exit. */
export function installInterruptCleanup(): void {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\nbench: ${signal}, stopping ${live.size} started process(es)…`);
    const waits = [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          if (child.pid !== undefined) killPid(child.pid, 'SIGTERM');
        }),
    );
    void Promise.race([Promise.all(waits), sleep(15_000)]).then(() => {
      for (const child of live) if (child.pid !== undefined) killPid(child.pid, 'SIGKILL');
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
