/**
 * Newline-delimited JSON-RPC from a byte stream (a child's stdout, a TCP socket): a line
 * longer than `maxLineBytes` is reported and skipped (never buffered without bound), a
 * line that is not JSON-RPC is reported and the next one read, blank lines are skipped.
 * Each line is parsed once and its envelope checked structurally (no schema copy of the
 * payload); the pieces of a line split across chunks are joined once, when it ends.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import { messageKind } from './jsonrpc-shape.js';

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
  /**
   * Rewrites a line's text before it is parsed (the stdio endpoint cuts containers nested
   * past its bound, so a hostile line costs what a shallow one costs).
   */
  beforeParse?: (text: string) => string;
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
  /** The pieces of an unfinished line, joined once when its newline arrives. */
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;
  private head: Buffer | undefined;

  private readonly subject: string;

  constructor(private readonly options: LineReaderOptions) {
    this.subject = options.subject ?? 'line';
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
      if (this.pendingBytes + contentBytes > this.options.maxLineBytes) {
        const shown = (this.pendingBytes === 0 ? chunk.subarray(from, end) : this.head) ?? Buffer.alloc(0);
        this.options.onError(
          new Error(
            `${this.options.where}: ${this.subject} longer than ${this.options.maxLineBytes} bytes discarded: ${preview(shown.toString('utf8'))}`,
          ),
          'oversized',
        );
        this.pieces = [];
        this.pendingBytes = 0;
        this.head = undefined;
        this.discarding = newline === -1;
        continue;
      }
      if (newline === -1) {
        // part of a line: keep a view of it (the chunk is not reused by the stream)
        if (this.pendingBytes === 0) this.head = chunk.subarray(from, Math.min(end, from + HEAD_BYTES));
        this.pieces.push(chunk.subarray(from, end));
        this.pendingBytes += end - from;
        continue;
      }
      let text: string;
      if (this.pendingBytes === 0) {
        // blank lines carry nothing
        if (contentBytes === 0 || (contentBytes === 1 && chunk[from] === 0x0d)) continue;
        text = chunk.toString('utf8', from, chunk[newline - 1] === 0x0d ? newline - 1 : newline);
      } else {
        this.pieces.push(chunk.subarray(from, newline));
        const line = Buffer.concat(this.pieces, this.pendingBytes + contentBytes);
        this.pieces = [];
        this.pendingBytes = 0;
        text = line.toString('utf8', 0, line[line.length - 1] === 0x0d ? line.length - 1 : line.length);
      }
      this.readLine(text);
    }
  }

  private rejectLine(chunk: Buffer, from: number, to: number, kind: LineErrorKind): void {
    if (this.options.admit && !this.options.admit(kind)) return;
    const what = kind === 'not-json' ? 'is not JSON' : 'is not a JSON-RPC message';
    this.options.onError(new Error(`${this.options.where}: ${this.subject} ${what}: ${preview(chunk.toString('utf8', from, to))}`), kind);
  }

  clear(): void {
    this.pieces = [];
    this.pendingBytes = 0;
    this.discarding = false;
    this.head = undefined;
  }

  /** One complete line: parse it once, check its envelope, deliver it. */
  private readLine(text: string): void {
    let value: unknown;
    let cause: unknown;
    try {
      value = JSON.parse(this.options.beforeParse === undefined ? text : this.options.beforeParse(text));
    } catch (error) {
      cause = error;
    }
    const kind: LineErrorKind | undefined = cause !== undefined ? 'not-json' : messageKind(value) === undefined ? 'not-jsonrpc' : undefined;
    const head = this.head;
    this.head = undefined;
    if (kind === undefined) {
      this.options.onMessage(value as JSONRPCMessage);
      return;
    }
    if (this.options.admit && !this.options.admit(kind)) return;
    const what = kind === 'not-json' ? 'is not JSON' : 'is not a JSON-RPC message';
    const shown = head === undefined ? text.slice(0, HEAD_BYTES) : head.toString('utf8');
    this.options.onError(
      new Error(`${this.options.where}: ${this.subject} ${what}: ${preview(shown)}`, cause === undefined ? undefined : { cause }),
      kind,
    );
  }
}
