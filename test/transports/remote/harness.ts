/**
 * Remote backends for transport tests: the remote-*.mjs fixtures as real processes on
 * 127.0.0.1, their stderr lines, and transports opened the way the launcher opens them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { ConnectionType, ServerConfig } from '../../../src/config/types.js';
import { silentLogger } from '../../../src/logger.js';
import type { ProcessTransport } from '../../../src/transports/process-transport.js';
import { openRemoteTransport } from '../../../src/transports/remote/index.js';
import { ProcessTracker, waitFor } from '../../helpers/processes.js';

export const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/servers/${name}`, import.meta.url));

export interface Backend {
  /** What the fixture printed: `http://127.0.0.1:PORT/mcp`, `ws://…`, `tcp://…`. */
  url: string;
  port: number;
  pid: number;
  /** Every stderr line so far (request log, listening line). */
  lines: string[];
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
}

/** The processes and transports one test started; `cleanup()` ends exactly those. */
export class RemoteRun {
  private readonly tracker = new ProcessTracker();
  private readonly children: ChildProcess[] = [];
  private readonly transports: ProcessTransport[] = [];
  private readonly clients: Client[] = [];

  async backend(script: string, args: string[] = []): Promise<Backend> {
    const child = spawn(process.execPath, [fixture(script), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.children.push(child);
    this.tracker.track(child.pid);
    const lines: string[] = [];
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    });
    let gone = false;
    const exited = once(child, 'exit').then(() => {
      gone = true;
    });
    const url = await waitFor(
      () => {
        if (gone) throw new Error(`${script} exited before listening:\n${lines.join('\n')}`);
        return lines.map((l) => /^listening on (\S+)/.exec(l)?.[1]).find(Boolean);
      },
      { what: `${script} to listen`, timeoutMs: 20_000 },
    );
    const port = Number(new URL(url.replace(/^tcp:/, 'http:')).port);
    const kill = async () => {
      if (!gone) child.kill('SIGKILL');
      await exited;
    };
    return { url, port, pid: child.pid!, lines, kill };
  }

  /** A transport built by `openRemoteTransport` from a config entry, as the launcher does. */
  transport(type: ConnectionType, url: string, headers: Record<string, string> = {}, name = 'remote'): ProcessTransport {
    const transport = openRemoteTransport(remoteConfig(name, type, url, headers), { serverName: name, logger: silentLogger() });
    this.transports.push(transport);
    return transport;
  }

  /** A connected SDK client (initialize done) over the transport. */
  async client(transport: ProcessTransport): Promise<Client> {
    const client = new Client({ name: 'remote-transport-test', version: '1.0.0' });
    this.clients.push(client);
    await client.connect(transport);
    return client;
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => c.close()));
    await Promise.allSettled(this.transports.map((t) => t.close()));
    this.tracker.killAll();
    const running = this.children.filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(running.map((c) => once(c, 'exit')));
  }
}

/** A server entry parsed by the real config loader. */
export function remoteConfig(name: string, type: ConnectionType, url: string, headers: Record<string, string> = {}): ServerConfig {
  const headerLines = Object.entries(headers).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`);
  const text = [
    'servers:',
    `  ${name}:`,
    `    connection_type: ${type}`,
    `    url: ${JSON.stringify(url)}`,
    ...(headerLines.length ? ['    headers:', ...headerLines] : []),
    '',
  ].join('\n');
  const result = parseConfigText(text, '/test/remote.yaml');
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  const config = result.config.servers[0];
  if (!config) throw new Error('no server parsed');
  return config;
}

/** A loopback port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  return content?.[0]?.text ?? '';
}

/** Resolves with the value, or rejects after `ms` naming what did not happen. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
