/**
 * Our stdio transport: the SDK `Transport` contract over a child process that runs
 * in its own process group, reports exit code and signal, captures stderr, and
 * stops with the full ladder (stdin close → SIGTERM → SIGKILL, all to the group).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Transport, JSONRPCMessage } from '@modelcontextprotocol/client';
import { ManagerError, describeExit, errorMessage, type ExitInfo } from '../errors.js';
import { settledWithin } from '../wait.js';
import { buildChildEnv } from './env.js';
import { JsonLineReader } from './json-lines.js';
import { limitReports } from './report-limit.js';
import { killGroupSync, stopProcessGroup, type StopResult } from './process-group.js';
import { StderrCapture, type StderrCaptureOptions } from './stderr-capture.js';

export interface StdioProcessOptions {
  /** Names the server in every message. */
  serverName: string;
  /** Executable, looked up on the child's PATH; never run through a shell. */
  command: string;
  args?: string[];
  /** Configured variables, on top of the inherited or minimal base env. */
  env?: Record<string, string>;
  /** true: the manager's whole env; false: only `MINIMAL_ENV_KEYS` (see env.ts). */
  inheritEnv: boolean;
  cwd?: string;
  /** stderr lines are appended here with a timestamp; directories are created. */
  stderrLogFile?: string;
  /** Instead of `stderrLogFile`: the server's shared, rotated log (see state/log-files). */
  stderrSink?: StderrCaptureOptions['sink'];
  /** Called once the process has spawned, with its pid (= its process group). */
  onSpawn?: (pid: number) => void;
  /** Called once close() has seen the whole process group gone. */
  onGroupGone?: (pid: number) => void;
  /** Lines of stderr kept for exit reports. */
  stderrTailLines?: number;
  /** close(): after ending stdin, wait this long before SIGTERM to the group. */
  stopGraceMs?: number;
  /** close(): after SIGTERM, wait this long before SIGKILL to the group. */
  stopTimeoutMs?: number;
  /** A stdout line longer than this is reported through onerror and discarded. */
  maxLineBytes?: number;
}

export const STDIO_DEFAULTS = {
  args: [] as readonly string[],
  stderrTailLines: 50,
  stopGraceMs: 2000,
  stopTimeoutMs: 5000,
  maxLineBytes: 16 * 1024 * 1024,
} as const;

/** A stdout chunk with at least this many bad lines and no message makes reading pause... */
const GARBAGE_CHUNK_LINES = 64;
/** ...for this long. */
const GARBAGE_PAUSE_MS = 10;

/** After the leader exits, how long to wait for its stdout/stderr to drain (a grandchild may hold them open). */
const DRAIN_MS = 250;

type Phase = 'idle' | 'starting' | 'running' | 'exited';

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** The lines written in one event-loop turn, and the one promise of their write. */
class WriteBatch {
  readonly lines: string[] = [];
  readonly written: Promise<void>;
  done!: () => void;
  fail!: (error: Error) => void;
  constructor() {
    this.written = new Promise((resolve, reject) => {
      this.done = resolve;
      this.fail = reject;
    });
    // a batch nobody awaits (a forwarded line) must not become an unhandled rejection
    this.written.catch(() => undefined);
  }
}

/** A child process speaking newline-delimited JSON-RPC on stdin/stdout. */
export class StdioProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;
  /** Called once when the process has exited (after stdout/stderr drained), before onclose. */
  onexit?: (info: ExitInfo) => void;

  /** Resolves once the process has exited (or failed to spawn: exitCode and signal null). Never rejects. */
  readonly exited: Promise<ExitInfo>;

  /** Lines read from stdout so far: MCP messages, and lines that were not (health counts them). */
  readonly stdoutLines = { messages: 0, bad: 0 };

  /** Bad stdout lines reach onerror a few per interval, the rest as one count. */
  private readonly unreadable = limitReports({
    report: (error) => this.onerror?.(error),
    summary: (count, _last, intervalMs) =>
      this.onerror?.(
        new Error(`server "${this.options.serverName}": ${count} more stdout lines in ${intervalMs / 1000} s were not MCP messages`),
      ),
  });

  private readonly options: StdioProcessOptions;
  private readonly lines: JsonLineReader;
  private phase: Phase = 'idle';
  private child: ChildProcessWithoutNullStreams | undefined;
  private stderr: StderrCapture | undefined;
  private spawning: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private closeNotified = false;
  private resolveExited!: (info: ExitInfo) => void;
  private leaderExited = false;
  private resolveLeaderExit!: () => void;
  private readonly leaderExit: Promise<void>;
  private lastStop: StopResult | undefined;
  /** Lines waiting for this turn's write. */
  private batch: WriteBatch | undefined;
  private queuedLines = 0;
  private writtenLines = 0;

  constructor(options: StdioProcessOptions) {
    this.options = options;
    this.lines = new JsonLineReader({
      maxLineBytes: options.maxLineBytes ?? STDIO_DEFAULTS.maxLineBytes,
      where: `server "${options.serverName}"`,
      subject: 'stdout line',
      onMessage: (message) => {
        this.stdoutLines.messages++;
        // inline rather than safely(): no closure per message on the hot path
        try {
          this.onmessage?.(message);
        } catch (error) {
          this.callbackFailed(error);
        }
      },
      onError: (error, kind) => {
        if (kind === 'oversized') this.stdoutLines.bad++;
        this.unreadable(error);
      },
      admit: () => {
        this.stdoutLines.bad++;
        return this.unreadable.admit();
      },
    });
    this.exited = new Promise((resolve) => {
      this.resolveExited = resolve;
    });
    this.leaderExit = new Promise((resolve) => {
      this.resolveLeaderExit = resolve;
    });
  }

  get serverName(): string {
    return this.options.serverName;
  }

  /**
   * The child's pid, which is also its process group id; null before spawn or when spawn
   * failed. Stays set after exit: grandchildren may still be in that group.
   */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Whether the process has spawned and not yet exited. */
  get running(): boolean {
    return this.phase === 'running' && !this.leaderExited;
  }

  /** The last `tailLines` lines of stderr so far. */
  stderrTail(): string[] {
    return this.stderr?.tail() ?? [];
  }

  /** What close() had to do, once it has finished. */
  get stopResult(): StopResult | undefined {
    return this.lastStop;
  }

  /** Spawn the process; resolves once it runs, rejects with ManagerError SPAWN_FAILED. */
  start(): Promise<void> {
    if (this.phase !== 'idle') {
      return Promise.reject(new Error(`transport for server "${this.options.serverName}" already started or closed`));
    }
    this.phase = 'starting';
    this.spawning = this.spawnChild();
    return this.spawning;
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.sendLine(JSON.stringify(message));
  }

  /** Lines handed to send/sendLine so far (the n-th line sent is line n). */
  get linesQueued(): number {
    return this.queuedLines;
  }

  /** Lines the pipe accepted so far, in order: line n reached the server iff n ≤ linesWritten. */
  get linesWritten(): number {
    return this.writtenLines;
  }

  /**
   * Write one serialized message (no newline). Every line of one event-loop turn goes out
   * in a single write; the promise resolves once that write reached the pipe, and rejects
   * (SERVER_UNAVAILABLE, delivered: false) when it could not, e.g. EPIPE from a process
   * that is already gone.
   */
  sendLine(line: string): Promise<void> {
    const stdin = this.child?.stdin;
    if (!this.running || !stdin?.writable) {
      return Promise.reject(
        new ManagerError('SERVER_UNAVAILABLE', `server "${this.options.serverName}" is not running`, { data: { delivered: false } }),
      );
    }
    let batch = this.batch;
    if (batch === undefined) {
      batch = this.batch = new WriteBatch();
      setImmediate(this.flush);
    }
    batch.lines.push(line);
    this.queuedLines++;
    return batch.written;
  }

  private readonly flush = (): void => {
    const batch = this.batch;
    this.batch = undefined;
    if (batch === undefined) return;
    const stdin = this.child?.stdin;
    if (!stdin?.writable) {
      batch.fail(
        new ManagerError('SERVER_UNAVAILABLE', `server "${this.options.serverName}" is not running`, { data: { delivered: false } }),
      );
      return;
    }
    stdin.write(`${batch.lines.join('\n')}\n`, (error) => {
      if (!error) {
        this.writtenLines += batch.lines.length;
        batch.done();
      } else {
        batch.fail(
          new ManagerError('SERVER_UNAVAILABLE', `server "${this.options.serverName}" closed its input`, {
            data: { delivered: false },
            cause: error,
          }),
        );
      }
    });
  };

  /**
   * The stop ladder (see `stopProcessGroup`); also cleans up grandchildren left in the
   * group when the process had already exited. Idempotent; concurrent calls share one promise.
   */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  /**
   * End the child's stdin now: the stop ladder's first rung, taken early. A shutdown does
   * this for a whole level at once, so the processes exit while the manager works through
   * each one's chart; `close()` then finds them gone or going.
   */
  endInput(): void {
    const stdin = this.child?.stdin;
    if (stdin?.writable) stdin.end();
  }

  /** Signal the whole group now. false when there is no group to signal. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): boolean {
    const pid = this.pid;
    return pid === null ? false : killGroupSync(pid, signal);
  }

  private async stop(): Promise<void> {
    if (this.phase === 'idle') {
      this.phase = 'exited';
      this.resolveExited({ exitCode: null, signal: null, stderrTail: [] });
      this.notifyClose();
      return;
    }
    await this.spawning?.catch(() => undefined);
    const pid = this.pid;
    if (pid === null) {
      // Spawn failed: nothing runs, and onclose has been called.
      await this.exited;
      return;
    }
    const stdin = this.child?.stdin;
    this.lastStop = await stopProcessGroup(pid, {
      graceMs: this.options.stopGraceMs ?? STDIO_DEFAULTS.stopGraceMs,
      timeoutMs: this.options.stopTimeoutMs ?? STDIO_DEFAULTS.stopTimeoutMs,
      exited: this.leaderExit,
      closeInput: () => {
        if (stdin?.writable) stdin.end();
      },
    });
    if (this.lastStop.groupEmpty) this.safely(() => this.options.onGroupGone?.(pid));
    if (this.lastStop.leaderExited) {
      await this.exited;
    } else {
      // Survived SIGKILL (uninterruptible sleep): report closed now; `exited` follows if it ever exits.
      this.notifyClose();
    }
  }

  private async spawnChild(): Promise<void> {
    const { serverName, command, cwd } = this.options;
    const args = this.options.args ?? [...STDIO_DEFAULTS.args];
    const fail = async (message: string, cause?: unknown): Promise<never> => {
      await this.finish({ exitCode: null, signal: null }, false);
      throw new ManagerError('SPAWN_FAILED', message, {
        data: { server: serverName, command, args, cwd: cwd ?? null, errno: errnoCode(cause) ?? null },
        cause,
      });
    };

    if (cwd !== undefined) {
      const problem = await stat(cwd).then(
        (s) => (s.isDirectory() ? undefined : 'is not a directory'),
        (error: unknown) => (errnoCode(error) === 'ENOENT' ? 'does not exist' : errorMessage(error)),
      );
      if (problem) return fail(`working directory ${problem}: "${cwd}" (server "${serverName}")`);
    }

    this.stderr = await StderrCapture.open({
      tailLines: this.options.stderrTailLines ?? STDIO_DEFAULTS.stderrTailLines,
      logFile: this.options.stderrLogFile,
      ...(this.options.stderrSink ? { sink: this.options.stderrSink } : {}),
      onError: (error) => this.onerror?.(error),
    });

    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(command, args, {
        cwd,
        env: buildChildEnv({ env: this.options.env ?? {}, inheritEnv: this.options.inheritEnv }),
        stdio: 'pipe',
        shell: false,
        detached: true,
        windowsHide: true,
      });
    } catch (error) {
      return fail(`cannot start "${command}" (server "${serverName}"): ${errorMessage(error)}`, error);
    }
    this.child = child;

    const spawned = new Promise<unknown>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    child.on('error', (error) => {
      if (this.phase === 'running') this.onerror?.(error);
    });
    child.on('exit', (exitCode, signal) => this.handleExit(exitCode, signal));
    child.stdout.on('data', (chunk: Buffer) => this.handleStdout(chunk));
    child.stdout.on('error', (error) => this.onerror?.(error));
    child.stderr.on('data', (chunk: Buffer) => {
      const capture = this.stderr;
      // a log that falls behind holds the child's stderr back instead of growing in memory
      if (capture && !capture.write(chunk)) {
        child.stderr.pause();
        void capture.drained().then(() => child.stderr.resume());
      }
    });
    child.stderr.on('error', (error) => this.onerror?.(error));
    child.stdin.on('error', (error) => {
      // EPIPE: the child is gone or stopped reading; its exit is reported separately.
      if (errnoCode(error) !== 'EPIPE') this.onerror?.(error);
    });

    const error = await spawned;
    if (error !== undefined) {
      this.child = undefined;
      const code = errnoCode(error);
      const message =
        code === 'ENOENT'
          ? `command not found: "${command}" (server "${serverName}")`
          : code === 'EACCES'
            ? `command is not executable: "${command}" (server "${serverName}")`
            : `cannot start "${command}" (server "${serverName}"): ${errorMessage(error)}`;
      return fail(message, error);
    }
    if (this.phase === 'starting') this.phase = 'running';
    if (child.pid !== undefined) this.safely(() => this.options.onSpawn?.(child.pid!));
    this.stderr.note(`started pid ${child.pid ?? '?'}: ${[command, ...args].join(' ')}`);
  }

  private handleExit(exitCode: number | null, signal: NodeJS.Signals | null): void {
    if (this.leaderExited) return;
    this.leaderExited = true;
    this.resolveLeaderExit();
    const child = this.child;
    const drained: Promise<unknown> = child
      ? Promise.all([child.stdout, child.stderr].map((stream: Readable) => finished(stream).catch(() => undefined)))
      : Promise.resolve();
    // unref: a pending drain timer must not hold the process open after the last server exited
    settledWithin(drained, DRAIN_MS, { ref: false })
      .then(() => this.finish({ exitCode, signal }, true))
      .catch((error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))));
  }

  /** The end of this transport: report the exit, release streams, call onclose. Runs once. */
  private async finish(exit: Pick<ExitInfo, 'exitCode' | 'signal'>, processRan: boolean): Promise<void> {
    if (this.phase === 'exited') return;
    this.phase = 'exited';
    this.lines.clear();
    const child = this.child;
    if (child) {
      // A grandchild may still hold these pipes; we are done reading them.
      child.stdout.destroy();
      child.stderr.destroy();
      child.stdin.destroy();
    }
    this.unreadable.flush();
    const capture = this.stderr;
    if (capture) {
      capture.flush();
      if (processRan) capture.note(`server "${this.options.serverName}" ${describeExit(exit)}`);
    }
    const info: ExitInfo = { ...exit, stderrTail: capture?.tail() ?? [] };
    await capture?.close();
    if (processRan) this.safely(() => this.onexit?.(info));
    this.resolveExited(info);
    this.notifyClose();
  }

  private notifyClose(): void {
    if (this.closeNotified) return;
    this.closeNotified = true;
    this.safely(() => this.onclose?.());
  }

  /** A throwing callback must not break the transport. */
  private safely(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.callbackFailed(error);
    }
  }

  private callbackFailed(error: unknown): void {
    this.onerror?.(new Error(`server "${this.options.serverName}": transport callback failed: ${errorMessage(error)}`, { cause: error }));
  }

  private handleStdout(chunk: Buffer): void {
    if (this.phase === 'exited') return;
    const { messages, bad } = this.stdoutLines;
    this.lines.push(chunk);
    // a chunk of nothing but garbage: read the next one a little later, so a server
    // flooding stdout slows down to what costs us little CPU and memory
    const stdout = this.child?.stdout;
    if (stdout && this.stdoutLines.messages === messages && this.stdoutLines.bad - bad >= GARBAGE_CHUNK_LINES) {
      stdout.pause();
      setTimeout(() => {
        if (this.phase !== 'exited') stdout.resume();
      }, GARBAGE_PAUSE_MS).unref();
    }
  }
}
