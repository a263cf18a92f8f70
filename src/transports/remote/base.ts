/**
 * What every remote transport shares: the `ProcessTransport` surface (no pid; `exited`
 * resolves once the connection is gone for good, so the chart restarts the server and
 * a new `initialize` opens a new session), a tail of transport-level events for exit
 * reports, and errors that name the server and the URL without credentials.
 */
import type { TransportSendOptions, JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/client';
import { ManagerError, errorMessage, type ErrorCode, type ExitInfo } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ProcessTransport } from '../../server-actor/session.js';
import { displayUrl, scrubSecrets } from './describe.js';

export interface RemoteTransportOptions {
  /** Names the server in every message. */
  serverName: string;
  url: URL;
  /** Sent with every request (HTTP) or the upgrade (WebSocket); may hold secrets: never logged. */
  headers: Record<string, string>;
  logger: Logger;
  /** Transport events kept for exit reports. */
  tailLines?: number;
  /** A message (line, frame, body) larger than this is refused. */
  maxMessageBytes?: number;
}

export const REMOTE_DEFAULTS = {
  tailLines: 50,
  maxMessageBytes: 16 * 1024 * 1024,
  /** close(): how long a polite goodbye (WebSocket close, HTTP DELETE, TCP end) may take. */
  goodbyeMs: 1_000,
  /** HTTP: re-opening the GET event stream; when that fails the session is treated as lost. */
  eventStreamReconnection: { initialReconnectionDelay: 500, maxReconnectionDelay: 5_000, reconnectionDelayGrowFactor: 2, maxRetries: 3 },
} as const;

type Phase = 'idle' | 'connecting' | 'open' | 'ended';

export abstract class RemoteTransport implements ProcessTransport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  /** Remote servers have no process here. */
  readonly pid = null;
  /** Resolves once the connection is gone for good (exitCode and signal null). Never rejects. */
  readonly exited: Promise<ExitInfo>;

  protected readonly options: RemoteTransportOptions;
  protected readonly log: Logger;
  /** The URL as messages may show it. */
  protected readonly shownUrl: string;
  /** Why the connection was lost, once it was; the transport ends right after. */
  protected lostReason: string | undefined;
  private phase: Phase = 'idle';
  private readonly tail: string[] = [];
  private resolveExited!: (info: ExitInfo) => void;
  private ending: Promise<void> | undefined;
  private closeNotified = false;

  /** Names the kind of connection in the tail (`Streamable HTTP`, `WebSocket`, `TCP`). */
  protected abstract readonly kind: string;

  constructor(options: RemoteTransportOptions) {
    this.options = options;
    this.log = options.logger;
    this.shownUrl = displayUrl(options.url);
    this.exited = new Promise((resolve) => {
      this.resolveExited = resolve;
    });
  }

  get serverName(): string {
    return this.options.serverName;
  }

  /** Connected and not yet lost or closed. */
  get running(): boolean {
    return this.phase === 'open' && this.lostReason === undefined;
  }

  protected get ended(): boolean {
    return this.phase === 'ended';
  }

  /** The last transport-level events and errors (the remote counterpart of stderr). */
  stderrTail(): string[] {
    return [...this.tail];
  }

  /** Connect; rejects with a ManagerError naming the server, the URL and the reason. */
  async start(): Promise<void> {
    if (this.phase !== 'idle') throw new Error(`transport for server "${this.serverName}" already started or closed`);
    this.phase = 'connecting';
    this.note(`connecting to ${this.shownUrl} (${this.kind})`);
    try {
      await this.open();
    } catch (error) {
      const failure = ManagerError.is(error) ? error : this.failure('SERVER_UNAVAILABLE', errorMessage(error), error);
      await this.end();
      throw failure;
    }
    if (this.phase !== 'connecting') throw this.failure('SERVER_UNAVAILABLE', 'closed while connecting');
    this.phase = 'open';
  }

  /** End the connection (politely where the protocol has a goodbye). Idempotent. */
  close(): Promise<void> {
    return this.end();
  }

  abstract send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void>;

  /** Open the connection; resolves once messages can be sent. */
  protected abstract open(): Promise<void>;

  /** Release sockets and streams; must not call onclose. `lost` when the peer is already gone. */
  protected abstract release(lost: boolean): Promise<void>;

  /** Remember a transport-level event for exit reports. */
  protected note(line: string): void {
    this.tail.push(line);
    const max = this.options.tailLines ?? REMOTE_DEFAULTS.tailLines;
    if (this.tail.length > max) this.tail.splice(0, this.tail.length - max);
  }

  /** `http://host/mcp: connection refused`, or `http://host/mcp answered HTML …`; never with secrets. */
  protected describe(text: string): string {
    const clean = scrubSecrets(text, this.options);
    return clean.startsWith('answered ') ? `${this.shownUrl} ${clean}` : `${this.shownUrl}: ${clean}`;
  }

  /** A ManagerError naming server and URL; the event goes into the tail. */
  protected failure(code: ErrorCode, text: string, cause?: unknown): ManagerError {
    const line = this.describe(text);
    this.note(line);
    return new ManagerError(code, `server "${this.serverName}": ${line}`, {
      ...(cause === undefined ? {} : { cause }),
      data: { server: this.serverName, url: this.shownUrl, reason: text, stderrTail: this.stderrTail() },
    });
  }

  /** Report a non-fatal problem (bad line, dropped frame): tail and onerror. */
  protected report(error: Error): void {
    if (this.ended) return;
    this.note(error.message);
    this.safely(() => this.onerror?.(error));
  }

  protected deliver(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if (this.ended) return;
    this.safely(() => this.onmessage?.(message, extra));
  }

  /**
   * The connection is gone for good: remember why, refuse new sends, and end on the
   * next turn (so the request that found out is rejected with the reason first).
   */
  protected lose(text: string): void {
    if (this.lostReason !== undefined || this.phase === 'ended') return;
    this.lostReason = this.describe(text);
    this.note(this.lostReason);
    this.log.warn({ url: this.shownUrl, reason: text }, 'remote server connection lost');
    setImmediate(() => void this.end());
  }

  /** The error for a send after the connection was lost or closed. */
  protected unavailable(): ManagerError {
    const why = this.lostReason ?? `${this.shownUrl}: not connected`;
    return new ManagerError('SERVER_UNAVAILABLE', `server "${this.serverName}": ${why}`, {
      data: { server: this.serverName, url: this.shownUrl, stderrTail: this.stderrTail() },
    });
  }

  /** Release everything, resolve `exited`, call onclose. Runs once. */
  protected end(): Promise<void> {
    this.ending ??= (async () => {
      this.phase = 'ended';
      try {
        await this.release(this.lostReason !== undefined);
      } catch (error) {
        this.note(`while closing: ${errorMessage(error)}`);
      }
      this.resolveExited({ exitCode: null, signal: null, stderrTail: this.stderrTail() });
      if (!this.closeNotified) {
        this.closeNotified = true;
        this.safely(() => this.onclose?.());
      }
    })();
    return this.ending;
  }

  /** A throwing callback must not break the transport. */
  protected safely(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      const wrapped = new Error(`server "${this.serverName}": transport callback failed: ${errorMessage(error)}`, { cause: error });
      this.note(wrapped.message);
      if (this.onerror) {
        try {
          this.onerror(wrapped);
        } catch {
          // nothing left to tell
        }
      }
    }
  }
}
