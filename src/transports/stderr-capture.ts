/**
 * A child's stderr: split into lines, appended (with a timestamp) to a log file,
 * and the last N lines kept in memory for exit reports.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { redact } from '../redact.js';
import { openLogFile } from '../state/safe-files.js';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';

export interface StderrCaptureOptions {
  /** How many of the last lines `tail()` returns. */
  tailLines: number;
  /** Appended to; missing directories are created. */
  logFile?: string;
  /** A line longer than this is cut into pieces of this length. Default 64 KiB. */
  maxLineLength?: number;
  /** Instead of `logFile`: a shared, rotated log that takes whole lines (see state/log-files). */
  sink?: { writeLine(line: string): boolean; drained(): Promise<void>; release(): void };
  /** Log file problems; the capture goes on without the file. */
  onError?: (error: Error) => void;
}

const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;

export class StderrCapture {
  private readonly lines: string[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private readonly maxLineLength: number;
  private partial = '';
  private behind = false;
  private log: WriteStream | undefined;

  private constructor(private readonly options: StderrCaptureOptions) {
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  }

  /** Creates the log file's directory first; a failure there is reported, not thrown. */
  static async open(options: StderrCaptureOptions): Promise<StderrCapture> {
    const capture = new StderrCapture(options);
    if (options.logFile !== undefined) {
      try {
        await mkdir(dirname(options.logFile), { recursive: true });
        capture.openLog(options.logFile);
      } catch (error) {
        capture.reportLogError(error);
      }
    }
    return capture;
  }

  private openLog(path: string): void {
    // 0600, appended, never through a symlink planted in the state dir
    const log = createWriteStream(path, { fd: openLogFile(path) });
    log.on('error', (error) => {
      if (this.log === log) this.log = undefined;
      this.reportLogError(error);
    });
    this.log = log;
  }

  private reportLogError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.options.onError?.(new Error(`stderr log ${this.options.logFile ?? ''}: ${message}`, { cause: error }));
  }

  /** Take a chunk of stderr. false: the log is behind; wait for `drained()` before the next chunk. */
  write(chunk: Buffer | string): boolean {
    this.behind = false;
    let text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      this.addLine(text.slice(0, newline));
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    while (text.length > this.maxLineLength) {
      this.addLine(text.slice(0, this.maxLineLength));
      text = text.slice(this.maxLineLength);
    }
    this.partial = text;
    return !this.behind;
  }

  /** Resolves once the log has taken what was written (immediately without a sink). */
  drained(): Promise<void> {
    return this.options.sink?.drained() ?? Promise.resolve();
  }

  /** Emit a final line that had no newline (call when the stream ends). */
  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.addLine(rest);
  }

  /** A line of our own in the log file only (e.g. "started pid 123"); not part of the tail. */
  note(text: string): void {
    this.options.sink?.writeLine(`[mcp-manager] ${redact(text)}`);
    this.log?.write(`${new Date().toISOString()} [mcp-manager] ${redact(text)}\n`);
  }

  tail(): string[] {
    return [...this.lines];
  }

  /** Flush and close the log file. */
  async close(): Promise<void> {
    this.flush();
    this.options.sink?.release();
    const log = this.log;
    this.log = undefined;
    if (!log) return;
    log.end();
    // Errors were already reported by the 'error' listener.
    await finished(log).catch(() => undefined);
  }

  private addLine(raw: string): void {
    // a server that prints its own key: the key never reaches the tail, status or the log
    const line = redact(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    this.lines.push(line);
    if (this.lines.length > this.options.tailLines) this.lines.shift();
    if (this.options.sink && !this.options.sink.writeLine(line)) this.behind = true;
    this.log?.write(`${new Date().toISOString()} ${line}\n`);
  }
}
