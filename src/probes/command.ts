/**
 * A per-server health command, spawned without a shell in its own process group:
 * exit 0 is ok. At the deadline the whole group is killed (the worker thread may be
 * terminated later, and a child must not outlive its probe).
 */
import { spawn } from 'node:child_process';
import { failed, passed, type ProbeOutcome } from './outcome.js';
import { spawnReason } from './reasons.js';
import type { CommandProbeTask, ProbeHooks } from './types.js';

/** Bytes of stdout/stderr kept for the reason. */
const TAIL_BYTES = 2048;
/** After the command exited, how long to wait for its pipes (a grandchild may hold them). */
const DRAIN_MS = 200;
/** Characters of output quoted in a result. */
const QUOTE_CHARS = 200;

export function probeCommand(task: CommandProbeTask, signal: AbortSignal, hooks: ProbeHooks = {}): Promise<ProbeOutcome> {
  if (!task.command) return Promise.resolve(failed('no command given'));
  const name = [task.command, ...task.args].join(' ');
  return new Promise<ProbeOutcome>((resolve) => {
    let done = false;
    let timedOut = false;
    let drain: NodeJS.Timeout | undefined;
    const output = { stdout: '', stderr: '' };

    const child = spawn(task.command, task.args, {
      ...(task.cwd === undefined ? {} : { cwd: task.cwd }),
      env: { ...process.env, ...task.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      shell: false,
      windowsHide: true,
    });

    const pgid = child.pid;
    if (pgid !== undefined) hooks.child?.(pgid, true);

    const finish = (outcome: ProbeOutcome) => {
      if (done) return;
      done = true;
      if (pgid !== undefined) hooks.child?.(pgid, false);
      clearTimeout(drain);
      signal.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(outcome);
    };
    const killGroup = () => {
      try {
        if (pgid !== undefined) process.kill(-pgid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const onAbort = () => {
      timedOut = true;
      killGroup();
      // SIGKILL cannot be refused: report now rather than after the exit event
      finish(report(null, 'SIGKILL'));
    };
    const report = (code: number | null, signalName: NodeJS.Signals | null): ProbeOutcome => {
      if (timedOut) return failed(`${name}: no exit within ${task.timeoutMs} ms; killed its process group`, { exitCode: null });
      if (code === 0) return passed(quoted('exit 0', output.stdout), { exitCode: 0 });
      if (code !== null) return failed(quoted(`${name}: exited with code ${code}`, output.stderr || output.stdout), { exitCode: code });
      return failed(`${name}: killed by ${signalName ?? 'a signal'}`, { exitCode: null });
    };

    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        output[stream] = (output[stream] + chunk).slice(-TAIL_BYTES);
      });
    }
    child.once('error', (error) => finish(failed(spawnReason(task.command, error), { exitCode: null })));
    child.once('exit', (code, signalName) => {
      // the leader is gone; helpers it left in its group belong to this probe and go too
      killGroup();
      drain = setTimeout(() => finish(report(code, signalName)), DRAIN_MS);
    });
    child.once('close', (code: number | null, signalName: NodeJS.Signals | null) => finish(report(code, signalName)));

    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
  });
}

/** "exited with code 1: <last line of output>" */
function quoted(head: string, text: string): string {
  const lines = text.trim().split('\n');
  const last = lines[lines.length - 1]?.trim() ?? '';
  if (!last) return head;
  return `${head}: ${last.length > QUOTE_CHARS ? `${last.slice(0, QUOTE_CHARS)}…` : last}`;
}
