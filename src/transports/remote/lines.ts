/**
 * Newline-delimited JSON-RPC from a byte stream, with the same guard as our stdio
 * transport: a line longer than `maxLineBytes` is reported and skipped (never buffered
 * without bound), a line that is not JSON-RPC is reported and the next one read.
 */
import { ReadBuffer } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { preview } from './describe.js';

export interface LineReaderOptions {
  maxLineBytes: number;
  onMessage(message: JSONRPCMessage): void;
  /** A bad or oversized line; the reader carries on with the next. */
  onError(error: Error): void;
  /** Prefixes error messages (`server "x": tcp://host:port`). */
  where: string;
}

/** Bytes of a bad line kept for the error message. */
const HEAD_BYTES = 480;

export class JsonLineReader {
  private readonly buffer: ReadBuffer;
  private pendingBytes = 0;
  private discarding = false;
  private head: Buffer | undefined;

  constructor(private readonly options: LineReaderOptions) {
    // the guard below keeps every line within maxLineBytes, so the ReadBuffer limit never trips
    this.buffer = new ReadBuffer({ maxBufferSize: options.maxLineBytes + 2 });
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      const segment = chunk.subarray(start, end);
      start = end;
      if (this.discarding) {
        if (newline !== -1) this.discarding = false;
        continue;
      }
      const contentBytes = newline === -1 ? segment.length : segment.length - 1;
      if (this.pendingBytes + contentBytes > this.options.maxLineBytes) {
        this.buffer.clear();
        const shown = (this.pendingBytes === 0 ? segment : this.head) ?? Buffer.alloc(0);
        this.options.onError(
          new Error(`${this.options.where}: line longer than ${this.options.maxLineBytes} bytes discarded: ${preview(shown.toString('utf8'))}`),
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
      const what = error instanceof SyntaxError ? 'is not JSON' : 'is not a JSON-RPC message';
      this.options.onError(
        new Error(`${this.options.where}: line ${what}: ${preview((this.head ?? Buffer.alloc(0)).toString('utf8'))}`, { cause: error }),
      );
      return;
    } finally {
      this.head = undefined;
    }
    if (message !== null) this.options.onMessage(message);
  }
}
