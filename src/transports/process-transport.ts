import type { Transport } from '@modelcontextprotocol/client';
import type { ExitInfo } from '../errors.js';

/** The process side of a session: our stdio transport or a remote one. */
export interface ProcessTransport extends Transport {
  readonly pid: number | null;
  /** Spawned (or connected) and not yet ended. */
  readonly running: boolean;
  readonly exited: Promise<ExitInfo>;
  stderrTail(): string[];
  /** Lines read from the server so far: MCP messages and lines that were not (stdio only). */
  readonly stdoutLines?: { readonly messages: number; readonly bad: number };
  /** The stop ladder's first rung alone (stdio: end the child's input); `close()` still runs the whole ladder. */
  endInput?(): void;
}
