/**
 * The gateway's stdio endpoint (`start --stdio`): newline-delimited JSON-RPC on this
 * process's stdin/stdout. Bad input never ends it: a line longer than the limit is
 * dropped and answered with a JSON-RPC error, a line that is not JSON(-RPC) too, and a
 * request nested deeper than the bound gets an error naming where. Only the end of
 * stdin (or close()) closes it.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport, JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Logger } from '../logger.js';
import { JsonLineReader, type LineErrorKind } from '../transports/json-lines.js';
import { INVALID_PARAMS, MAX_MESSAGE_DEPTH, excessiveNesting, nestingMessage, pruneDeepJson } from './depth.js';

/** Same bound as an HTTP body. */
export const STDIO_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const ERROR_CODE: Record<LineErrorKind, number> = {
  oversized: -32600,
  'not-json': -32700,
  'not-jsonrpc': -32600,
};

export interface StdioEndpointOptions {
  stdin?: Readable;
  stdout?: Writable;
  maxMessageBytes?: number;
  maxDepth?: number;
  logger: Logger;
  /** Runs once when the endpoint closes, with the reason (whoever owns `onclose`). */
  onEnded?: (reason: string) => void;
}

const RESOLVED = Promise.resolve();

export class StdioEndpointTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly reader: JsonLineReader;
  private readonly maxDepth: number;
  private readonly log: Logger;
  private readonly onEnded: ((reason: string) => void) | undefined;
  private started = false;
  /** Lines waiting for this turn's write. */
  private queued: string[] = [];
  /** Set while stdout is backed up: resolves once it drained. */
  private drained: Promise<void> | undefined;
  private closed = false;
  /** Why the endpoint closed: `stdin ended`, `closed`. */
  closeReason: string | undefined;

  constructor(options: StdioEndpointOptions) {
    this.stdin = options.stdin ?? process.stdin;
    this.stdout = options.stdout ?? process.stdout;
    this.maxDepth = options.maxDepth ?? MAX_MESSAGE_DEPTH;
    this.log = options.logger;
    this.onEnded = options.onEnded;
    const maxMessageBytes = options.maxMessageBytes ?? STDIO_MAX_MESSAGE_BYTES;
    // levels kept: enough for the check in deliver() to find the same place (a batch adds one)
    const keepLevels = this.maxDepth + 2;
    this.reader = new JsonLineReader({
      maxLineBytes: maxMessageBytes,
      where: 'stdio client',
      subject: 'message',
      onMessage: (message) => this.deliver(message),
      onError: (error, kind) => this.reject(error, kind ?? 'not-jsonrpc', maxMessageBytes),
      // a line shorter than two characters per level cannot nest past the bound: not scanned
      beforeParse: (text) => (text.length <= 2 * keepLevels ? text : pruneDeepJson(text, keepLevels)),
    });
  }

  private readonly onData = (chunk: Buffer | string): void => {
    this.reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  private readonly onEnd = (): void => {
    void this.closeWith('stdin ended');
  };

  private readonly onStdinError = (error: Error): void => {
    this.onerror?.(error);
  };

  start(): Promise<void> {
    if (this.started) return Promise.reject(new Error('stdio endpoint already started'));
    this.started = true;
    this.stdin.on('data', this.onData);
    this.stdin.once('end', this.onEnd);
    this.stdin.on('error', this.onStdinError);
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.sendLine(JSON.stringify(message));
  }

  /**
   * Write one serialized message (no newline). The lines of one event-loop turn go out in
   * one write; the promise resolves at once, or once stdout drained when it is backed up.
   */
  sendLine(line: string): Promise<void> {
    if (this.closed) return RESOLVED;
    if (this.queued.length === 0) setImmediate(this.flush);
    this.queued.push(line);
    return this.drained ?? RESOLVED;
  }

  private readonly flush = (): void => {
    if (this.queued.length === 0) return;
    const text = `${this.queued.join('\n')}\n`;
    this.queued = [];
    if (this.stdout.write(text) || this.drained) return;
    this.drained = new Promise((resolve) => {
      this.stdout.once('drain', () => {
        this.drained = undefined;
        resolve();
      });
    });
  };

  close(): Promise<void> {
    return this.closeWith('closed');
  }

  private closeWith(reason: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.closeReason = reason;
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    this.stdin.off('error', this.onStdinError);
    this.stdin.pause();
    this.reader.clear();
    this.onclose?.();
    this.onEnded?.(reason);
    return Promise.resolve();
  }

  private deliver(message: JSONRPCMessage): void {
    if ('method' in message && message.params !== undefined) {
      const where = excessiveNesting(message, this.maxDepth);
      if (where !== null) {
        const text = `${nestingMessage(where, this.maxDepth)} (${message.method})`;
        this.log.warn({ method: message.method }, text);
        if ('id' in message && message.id !== undefined) {
          void this.send({ jsonrpc: '2.0', id: message.id, error: { code: INVALID_PARAMS, message: text } });
        }
        return;
      }
    }
    try {
      this.onmessage?.(message);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private reject(error: Error, kind: LineErrorKind, maxMessageBytes: number): void {
    this.log.warn({ err: error.message }, 'dropped a message from the stdio client');
    const message =
      kind === 'oversized'
        ? `Invalid Request: message larger than ${maxMessageBytes} bytes dropped`
        : kind === 'not-json'
          ? 'Parse error: the line is not JSON'
          : 'Invalid Request: not a JSON-RPC 2.0 message';
    // the id of a dropped line is unknown: JSON-RPC says null
    void this.send({ jsonrpc: '2.0', id: null, error: { code: ERROR_CODE[kind], message } } as unknown as JSONRPCMessage);
  }
}
