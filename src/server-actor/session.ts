/**
 * A live connection to one server instance: our stdio transport plus the SDK client
 * that ran the handshake. The registry holds at most one session per instance.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ExitInfo } from '../errors.js';
import type { StdioProcessTransport } from '../transports/stdio.js';

export interface Session {
  readonly instance: string;
  readonly server: string;
  readonly transport: StdioProcessTransport;
  readonly client: Client;
  tools: Tool[];
  /** Called when the backend says its tool list changed and it was re-read. */
  onCatalog?: (tools: Tool[]) => void;
  /** Resolves with the exit report once the process has ended. */
  readonly exited: Promise<ExitInfo>;
  /** The stop ladder; shared by concurrent callers. */
  close(): Promise<void>;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  get(instance: string): Session | undefined {
    return this.sessions.get(instance);
  }

  set(session: Session): void {
    this.sessions.set(session.instance, session);
  }

  /** Forget the session, only if it is still the registered one. */
  delete(session: Session): void {
    if (this.sessions.get(session.instance) === session) this.sessions.delete(session.instance);
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }
}
