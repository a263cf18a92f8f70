/**
 * The real manager as users run it: `mcp-manager start` in a child process (built CLI),
 * over real servers, with its stderr (the manager log) collected, its RSS read from /proc,
 * and every process it started checked gone at the end.
 */
import { afterEach } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createControlClient } from '../../src/control/client.js';
import type { StatusSnapshot } from '../../src/control/types.js';
import { socketPathOf } from '../../src/state/paths.js';
import { descendantsOf, isAlive, waitFor } from '../helpers/processes.js';
import { CLI } from '../supervisor/harness.js';

export interface CliManager {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  stateDir: string;
  url: string | undefined;
  control: ReturnType<typeof createControlClient>;
  status(detailed?: boolean): Promise<StatusSnapshot>;
  /** Lines of the manager log (its stderr) so far; the most recent MAX_KEPT_LINES. */
  log(): string[];
  /** All lines the manager logged, counted. */
  logLineCount(): number;
  rssBytes(): number;
  /** Processes started by the manager that are alive now. */
  descendants(): number[];
  /** SIGTERM and wait for the exit (bounded); resolves with the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

const MAX_KEPT_LINES = 5_000;

export function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match?.[1] ? Number(match[1]) * 1024 : 0;
}

export async function startCliManager(options: {
  config: string;
  stateDir: string;
  http?: boolean;
  stdio?: boolean;
  env?: NodeJS.ProcessEnv;
}): Promise<CliManager> {
  const args = [CLI, 'start', '--config', options.config, '--state-dir', options.stateDir];
  if (options.http) args.push('--http', '127.0.0.1:0');
  if (options.stdio) args.push('--stdio');
  const child = spawn(process.execPath, args, { stdio: 'pipe', env: { ...process.env, ...options.env } });
  const lines: string[] = [];
  let count = 0;
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      count++;
      lines.push(line);
      if (lines.length > MAX_KEPT_LINES) lines.shift();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const control = createControlClient(socketPathOf(options.stateDir));
  const status = (detailed = false) => control.status({ detailed });
  const pid = child.pid!;
  let known: number[] = [];
  const descendants = () => {
    known = [...new Set([...known, ...(isAlive(pid) ? descendantsOf(pid) : [])])];
    return known.filter(isAlive);
  };
  const first = await Promise.race([
    waitFor(
      () =>
        status()
          .then((s) => (options.http && s.manager.http === undefined ? undefined : s))
          .catch(() => undefined),
      { timeoutMs: 30_000, what: 'the manager to answer on its control socket' },
    ),
    exited.then((code) => {
      throw new Error(`manager exited with ${code} during start-up:\n${lines.join('\n')}`);
    }),
  ]);
  return {
    child,
    pid,
    stateDir: options.stateDir,
    url: first.manager.http?.url,
    control,
    status,
    log: () => [...lines, ...(partial ? [partial] : [])],
    logLineCount: () => count,
    rssBytes: () => rssOf(pid),
    descendants,
    exited,
    async stop() {
      descendants();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('manager did not stop within 30 s of SIGTERM')), 30_000).unref(),
        ),
      ]);
    },
  };
}

/** GET /healthz; resolves with the status code (the manager answered). */
export async function healthz(url: string): Promise<number> {
  const res = await fetch(new URL('/healthz', url));
  await res.arrayBuffer();
  return res.status;
}

/** Kill what a failed test left behind: the manager and the processes it started. */
/**
 * What one test started: its manager (killed with everything under it after the test, if
 * still there) and its temp dir's cleanup. Registers the `afterEach` that ends them.
 */
export interface PerTest {
  manager: CliManager | undefined;
  cleanup: (() => void) | undefined;
}

export function endedAfterEach(): PerTest {
  const started: PerTest = { manager: undefined, cleanup: undefined };
  afterEach(() => {
    killLeftovers(started.manager);
    started.manager = undefined;
    started.cleanup?.();
    started.cleanup = undefined;
  });
  return started;
}

export function killLeftovers(manager: CliManager | undefined): void {
  if (!manager) return;
  const pids = manager.descendants();
  for (const pid of [manager.pid, ...pids]) {
    try {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
