import { spawn } from 'node:child_process';
import { closeSync, fstatSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlRequest } from '../control/client.js';
import type { StatusSnapshot } from '../control/types.js';
import { errorMessage } from '../errors.js';
import { readLastLines } from '../state/log-tail.js';
import { ensureStateDir, managerLogOf, socketPathOf } from '../state/paths.js';
import { openLogFile } from '../state/safe-files.js';

export interface DaemonOptions {
  /** Executable and arguments of the manager to run in the background. */
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  /** How long to wait for the control socket to answer. Default 30 s. */
  timeoutMs?: number;
  /** Then how long to wait for every server to settle (up, or definitely down). Default 120 s. */
  settleTimeoutMs?: number;
}

/** Server states after which `start --daemon` may return: up, or definitely down. */
const SETTLED = new Set(['healthy', 'degraded', 'unhealthy', 'critical', 'stopped', 'failed']);

export type DaemonResult =
  /** `settled` false: the settle wait ran out (servers still starting); `status` is the last one seen. */
  | { ok: true; pid: number; logFile: string; status: StatusSnapshot; settled: boolean }
  | {
      ok: false;
      reason: 'exited' | 'timeout';
      pid: number | undefined;
      /** How the child ended (`exited`), e.g. `exited with code 1`. */
      detail: string;
      logFile: string;
      /** The last lines the child wrote to the log in this attempt. */
      logTail: string[];
    };

interface ChildEnd {
  detail: string;
}

/**
 * Start the manager detached (own session, stdio appended to `<state>/logs/manager.log`),
 * wait, bounded, until its control socket answers `/status` with its own pid, then until
 * every server has settled.
 */
export async function spawnDaemon(options: DaemonOptions): Promise<DaemonResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  ensureStateDir(options.stateDir);
  const socketPath = socketPathOf(options.stateDir);
  const logFile = managerLogOf(options.stateDir);

  const fd = openLogFile(logFile);
  let offset: number;
  let child;
  try {
    offset = fstatSync(fd).size;
    child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }

  let end: ChildEnd | undefined;
  const ended = new Promise<ChildEnd>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ detail: signal ? `killed by ${signal}` : `exited with code ${code ?? '?'}` });
    });
    child.once('error', (error) => resolve({ detail: `could not be started: ${errorMessage(error)}` }));
  }).then((value) => (end = value));

  const failure = async (reason: 'exited' | 'timeout', detail: string): Promise<DaemonResult> => {
    const { lines } = await readLastLines(logFile, 20, { start: offset }).catch(() => ({ lines: [] as string[] }));
    return { ok: false, reason, pid: child.pid, detail, logFile, logTail: lines };
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (end) return failure('exited', end.detail);
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      child.unref();
      return failure('timeout', `did not answer on ${socketPath} within ${Math.round(timeoutMs / 1000)} s`);
    }
    const answer = await controlRequest(socketPath, 'GET', '/status', undefined, {
      timeoutMs: Math.min(2000, remaining),
    }).catch(() => null);
    // Only our child counts: another manager answering means ours is about to fail.
    const pid = (answer as { manager?: { pid?: unknown } } | null)?.manager?.pid;
    if (child.pid !== undefined && pid === child.pid) break;
    await Promise.race([sleep(100), ended]);
  }

  // up: now wait for the servers, as long as our manager lives
  const settleDeadline = Date.now() + (options.settleTimeoutMs ?? 120_000);
  let status: StatusSnapshot | undefined;
  const endOf = (): ChildEnd | undefined => end;
  for (;;) {
    const over = endOf();
    if (over) return failure('exited', over.detail);
    const answer = await controlRequest(socketPath, 'GET', '/status', undefined, { timeoutMs: 5000 }).catch(() => null);
    if (answer !== null) status = answer as StatusSnapshot;
    const settled = status !== undefined && status.servers.every((s) => SETTLED.has(s.state));
    if (status && (settled || Date.now() >= settleDeadline)) {
      child.unref();
      return { ok: true, pid: child.pid, logFile, status, settled };
    }
    await Promise.race([sleep(100), ended]);
  }
}
