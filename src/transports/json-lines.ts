/**
 * Newline-delimited JSON-RPC from a byte stream (a child's stdout, a TCP socket): a line
 * longer than `maxLineBytes` is reported and skipped (never buffered without bound), a
 * line that is not JSON-RPC is reported and the next one read, blank lines are skipped.
 */
import { ReadBuffer } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/** Why a line was not delivered. */
export type LineErrorKind = 'oversized' | 'not-json' | 'not-jsonrpc';

export interface LineReaderOptions {
  maxLineBytes: number;
  onMessage(message: JSONRPCMessage): void;
  /** A bad or oversized line; the reader carries on with the next. */
  onError(error: Error, kind?: LineErrorKind): void;
  /** Prefixes error messages (`server "x": tcp://host:port`). */
  where: string;
  /** What a line is called in messages; default `line` (stdio says `stdout line`). */
  subject?: string;
  /**
   * Asked before a bad line becomes an Error: false means it is only counted by the
   * caller (a flood of garbage then costs no error objects). Default: always report.
   */
  admit?: (kind: LineErrorKind) => boolean;
}

const PREVIEW_CHARS = 120;

/** A short quoted excerpt of a body or line for error messages. */
export function preview(text: string): string {
  return JSON.stringify(text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text);
}

/** Bytes of a bad line kept for the error message. */
const HEAD_BYTES = 480;

/** The first non-blank byte of `chunk[from, to)` is `{` or `[`: the line may be JSON-RPC. */
function opensJson(chunk: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const byte = chunk[i];
    if (byte === 0x20 || byte === 0x09 || byte === 0x0d) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  // only blanks: not a message, and nothing to report either
  return true;
}

export class JsonLineReader {
  private readonly buffer: ReadBuffer;
  private pendingBytes = 0;
  private discarding = false;
  private head: Buffer | undefined;

  private readonly subject: string;

  constructor(private readonly options: LineReaderOptions) {
    this.subject = options.subject ?? 'line';
    // the guard below keeps every line within maxLineBytes, so the ReadBuffer limit never trips
    this.buffer = new ReadBuffer({ maxBufferSize: options.maxLineBytes + 2 });
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      const from = start;
      start = end;
      if (this.discarding) {
        if (newline !== -1) this.discarding = false;
        continue;
      }
      const contentBytes = (newline === -1 ? end : newline) - from;
      // a whole line that cannot be JSON-RPC (no object or array): rejected without parsing
      // or copying, so a flood of garbage allocates nothing per line
      if (this.pendingBytes === 0 && newline !== -1 && contentBytes > 0 && !opensJson(chunk, from, newline)) {
        if (contentBytes <= this.options.maxLineBytes) {
          this.rejectLine(chunk, from, Math.min(newline, from + HEAD_BYTES), 'not-json');
          continue;
        }
      }
      const segment = chunk.subarray(from, end);
      if (this.pendingBytes + contentBytes > this.options.maxLineBytes) {
        this.buffer.clear();
        const shown = (this.pendingBytes === 0 ? segment : this.head) ?? Buffer.alloc(0);
        this.options.onError(
          new Error(`${this.options.where}: ${this.subject} longer than ${this.options.maxLineBytes} bytes discarded: ${preview(shown.toString('utf8'))}`),
          'oversized',
        );
        this.pendingBytes = 0;
        this.head = undefined;
        this.discarding = newline === -1;
        continue;
      }
      if (this.pendingBytes === 0) {
        // blank lines carry nothing
        if (newline !== -1 && (contentBytes === 0 || (contentBytes === 1 && segment[0] === 0x0d))) continue;
        this.head = segment.subarray(0, Math.min(contentBytes, HEAD_BYTES));
      }
      this.buffer.append(segment);
      if (newline === -1) {
        this.pendingBytes += segment.length;
      } else {
        this.pendingBytes = 0;
        this.readLine();
      }
    }
  }

  private rejectLine(chunk: Buffer, from: number, to: number, kind: LineErrorKind): void {
    if (this.options.admit && !this.options.admit(kind)) return;
    const what = kind === 'not-json' ? 'is not JSON' : 'is not a JSON-RPC message';
    this.options.onError(new Error(`${this.options.where}: ${this.subject} ${what}: ${preview(chunk.toString('utf8', from, to))}`), kind);
  }

  clear(): void {
    this.buffer.clear();
    this.pendingBytes = 0;
    this.discarding = false;
    this.head = undefined;
  }

  /** The buffer holds exactly one complete line: parse it (the SDK's parser) and deliver it. */
  private readLine(): void {
    let message: JSONRPCMessage | null;
    try {
      // readMessage() consumes the line before parsing, so a bad line never blocks the next
      message = this.buffer.readMessage();
    } catch (error) {
      const kind = error instanceof SyntaxError ? 'not-json' : 'not-jsonrpc';
      if (this.options.admit && !this.options.admit(kind)) return;
      const what = error instanceof SyntaxError ? 'is not JSON' : 'is not a JSON-RPC message';
      this.options.onError(
        new Error(`${this.options.where}: ${this.subject} ${what}: ${preview((this.head ?? Buffer.alloc(0)).toString('utf8'))}`, { cause: error }),
        error instanceof SyntaxError ? 'not-json' : 'not-jsonrpc',
      );
      return;
    } finally {
      this.head = undefined;
    }
    if (message !== null) this.options.onMessage(message);
  }
}
