/**
 * A lean MCP stdio client for the gateway benchmark: raw JSON-RPC lines on a child's
 * stdin/stdout, no SDK. initialize → `notifications/initialized` → requests, any number in
 * flight, matched by id. It measures the server side, so it does as little as a client
 * can: one JSON.stringify per request, one JSON.parse per reply line, all requests of one
 * event-loop turn in one write, no schema validation.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

const PROTOCOL_VERSION = '2025-06-18';
const REQUEST_TIMEOUT_MS = 30_000;

interface RpcReply {
  id?: number | string | null;
  result?: unknown;
  error?: { code: number; message: string };
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  sentAt: number;
}

export interface LeanStdioOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

export class LeanMcpStdioClient {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private partial = '';
  private queued: string[] = [];
  private flushScheduled = false;
  private readonly stderrLines: string[] = [];
  private closed: Error | undefined;
  private readonly sweep: NodeJS.Timeout;

  constructor(options: LeanStdioOptions) {
    this.child = spawn(options.command, options.args, { env: options.env, cwd: options.cwd, stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.read(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrLines.push(...chunk.split('\n').filter(Boolean));
      if (this.stderrLines.length > 40) this.stderrLines.splice(0, this.stderrLines.length - 40);
    });
    this.child.stdin.on('error', () => undefined);
    this.child.once('exit', (code, signal) => this.fail(new Error(`the server exited (${signal ?? `code ${code}`})`)));
    // one timer for every request's deadline
    this.sweep = setInterval(() => {
      const now = performance.now();
      for (const [id, p] of this.pending) {
        if (now - p.sentAt < REQUEST_TIMEOUT_MS) continue;
        this.pending.delete(id);
        p.reject(new Error(`request ${id}: no reply within ${REQUEST_TIMEOUT_MS} ms`));
      }
    }, 1_000);
    this.sweep.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Why the client stopped working (the server exited), if it did. */
  get failure(): Error | undefined {
    return this.closed;
  }

  stderrTail(): string[] {
    return [...this.stderrLines];
  }

  async initialize(): Promise<void> {
    await this.request('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'bench-lean', version: '0.0.0' },
    });
    this.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  }

  request<T = unknown>(method: string, params: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (result) => resolve(result as T), reject, sentAt: performance.now() });
      this.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  callTool(name: string, args: Record<string, unknown>): Promise<{ content?: { type: string; text?: string }[]; isError?: boolean }> {
    return this.request('tools/call', { name, arguments: args });
  }

  /** End stdin (the server then exits) and wait for the exit, bounded. */
  async close(timeoutMs = 10_000): Promise<boolean> {
    clearInterval(this.sweep);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return true;
    const exited = new Promise<boolean>((resolve) => this.child.once('exit', () => resolve(true)));
    this.child.stdin.end();
    const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return Promise.race([exited, timer]);
  }

  private write(line: string): void {
    this.queued.push(line);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      const text = `${this.queued.join('\n')}\n`;
      this.queued = [];
      this.child.stdin.write(text);
    });
  }

  private read(chunk: string): void {
    let text = this.partial + chunk;
    let newline = text.indexOf('\n');
    let from = 0;
    while (newline !== -1) {
      const line = text.slice(from, newline);
      from = newline + 1;
      if (line.trim()) this.deliver(line);
      newline = text.indexOf('\n', from);
    }
    text = text.slice(from);
    this.partial = text;
  }

  private deliver(line: string): void {
    let message: RpcReply;
    try {
      message = JSON.parse(line) as RpcReply;
    } catch {
      return;
    }
    if (typeof message.id !== 'number') return;
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    if (message.error) p.reject(new Error(`request ${message.id}: JSON-RPC error ${message.error.code}: ${message.error.message}`));
    else p.resolve(message.result);
  }

  private fail(error: Error): void {
    this.closed = error;
    clearInterval(this.sweep);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
