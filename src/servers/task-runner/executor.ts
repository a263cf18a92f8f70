import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { killGroup } from './process-group.js';

/**
 * Run one executor process: argv without a shell, in its own process group (detached), the
 * task text on stdin. A timeout or an abort kills the whole group (SIGTERM, grace, SIGKILL);
 * the returned promise settles only once the group is gone. Every ending is data, never a throw.
 */
export interface ExecuteRequest {
  argv: readonly string[];
  input: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  killGraceMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** Called once the process exists, with its pid (= its process group id). */
  onSpawn?: (pid: number) => void;
}

export interface ExecuteResult {
  /** exited: ran to its own end; timeout / aborted: we killed it; spawn-failed: never ran. */
  ending: 'exited' | 'timeout' | 'aborted' | 'spawn-failed';
  pid: number | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** spawn error text, or the abort reason. */
  detail: string | null;
}

export function execute(request: ExecuteRequest): Promise<ExecuteResult> {
  const startedAt = performance.now();
  const [command, ...args] = request.argv;
  const stdout = collect(request.maxOutputBytes);
  const stderr = collect(request.maxOutputBytes);
  const finish = (fields: Partial<ExecuteResult> & Pick<ExecuteResult, 'ending'>): ExecuteResult => ({
    pid: null,
    exitCode: null,
    signal: null,
    detail: null,
    ...fields,
    stdout: stdout.text(),
    stderr: stderr.text(),
    durationMs: Math.round(performance.now() - startedAt),
  });
  if (command === undefined) return Promise.resolve(finish({ ending: 'spawn-failed', detail: 'executor argv is empty' }));

  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: request.cwd, env: request.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stopping: { why: 'timeout' | 'aborted'; killed: Promise<unknown> } | null = null;
    let settled = false;

    const stop = (why: 'timeout' | 'aborted'): void => {
      if (stopping || child.pid === undefined) return;
      stopping = { why, killed: killGroup(child.pid, request.killGraceMs) };
    };
    const onAbort = (): void => stop('aborted');
    const timer = setTimeout(() => stop('timeout'), request.timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    };

    child.stdout.on('data', stdout.push);
    child.stderr.on('data', stderr.push);
    child.stdin.on('error', () => undefined); // the executor may exit without reading stdin (EPIPE)

    child.once('error', (error) => {
      if (settled || child.pid !== undefined) return;
      settled = true;
      cleanup();
      resolve(finish({ ending: 'spawn-failed', detail: `cannot start ${command}: ${error.message}` }));
    });

    child.once('spawn', () => {
      const pid = child.pid as number;
      child.stdin.end(request.input);
      request.onSpawn?.(pid);
      if (request.signal?.aborted) stop('aborted');
      else request.signal?.addEventListener('abort', onAbort, { once: true });
    });

    child.once('exit', (exitCode, signal) => {
      cleanup();
      void (async () => {
        // Output pipes may be held open by leftover group members; do not wait for them forever.
        const drained = new AbortController();
        await Promise.race([
          once(child, 'close', { signal: drained.signal }),
          delay(Math.max(request.killGraceMs, 200), undefined, { signal: drained.signal }),
        ]).catch(() => undefined);
        drained.abort();
        for (const stream of [child.stdout, child.stderr] as Readable[]) stream.destroy();
        if (stopping) await stopping.killed;
        settled = true;
        const reason: unknown = request.signal?.reason;
        resolve(
          finish({
            ending: stopping?.why ?? 'exited',
            pid: child.pid ?? null,
            exitCode,
            signal,
            detail: stopping?.why === 'aborted' ? abortText(reason) : null,
          }),
        );
      })();
    });
  });
}

function abortText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' ? reason : 'aborted';
}

function collect(limit: number): { push: (chunk: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = 0;
  return {
    push: (chunk) => {
      const room = limit - size;
      if (room <= 0) {
        dropped += chunk.length;
        return;
      }
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(kept);
      size += kept.length;
      dropped += chunk.length - kept.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8') + (dropped > 0 ? `\n[… ${dropped} more bytes dropped]\n` : ''),
  };
}
