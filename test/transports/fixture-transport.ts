/** Builds StdioProcessTransports for the fixture servers and cleans up after each test. */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioProcessTransport, type StdioProcessOptions } from '../../src/transports/stdio.js';
import { ProcessTracker, pidFromLines, waitFor } from '../helpers/processes.js';

export const ECHO = fileURLToPath(new URL('../fixtures/servers/echo.mjs', import.meta.url));
export const WRAPPER = fileURLToPath(new URL('../fixtures/servers/wrapper.mjs', import.meta.url));

export class FixtureRun {
  readonly tracker = new ProcessTracker();
  private readonly transports: StdioProcessTransport[] = [];

  transport(script: string, env: Record<string, string> = {}, options: Partial<StdioProcessOptions> = {}): StdioProcessTransport {
    const transport = new StdioProcessTransport({
      serverName: 'fixture',
      command: process.execPath,
      args: [script],
      env,
      inheritEnv: false,
      stopGraceMs: 1000,
      stopTimeoutMs: 1000,
      ...options,
    });
    this.transports.push(transport);
    return transport;
  }

  /** A connected SDK client (initialize done) over our transport. */
  async client(transport: StdioProcessTransport): Promise<Client> {
    const client = new Client({ name: 'transport-test', version: '1.0.0' });
    await client.connect(transport);
    this.tracker.trackGroup(transport.pid);
    return client;
  }

  /** Wait until stderr shows `key=N` and return N (and remember the pid for cleanup). */
  async pidFromStderr(transport: StdioProcessTransport, key: string): Promise<number> {
    const pid = await waitFor(() => pidFromLines(transport.stderrTail(), key), { what: `${key}= on stderr` });
    this.tracker.track(pid);
    return pid;
  }

  cleanup(): void {
    for (const transport of this.transports) this.tracker.trackGroup(transport.pid);
    this.transports.length = 0;
    this.tracker.killAll();
  }
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((part) => part.text ?? '').join('');
}
