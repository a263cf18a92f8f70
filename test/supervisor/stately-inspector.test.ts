/**
 * `start --inspect`: a real manager sends its actors to a WebSocket inspector (a local
 * `ws` server standing in for Stately's), with no launch config (env secrets) in what
 * leaves the process; nothing is sent when the option is off.
 */
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import { echoServer, runManager, tempDir, writeConfig, type Running } from './harness.js';
import { startManager } from '../../src/supervisor/start.js';
import { silentLogger } from '../../src/logger.js';

const SECRET = 's3cret-inspector-value';

interface Received {
  type: string;
  name?: string;
  sessionId?: string;
  snapshot?: { value?: unknown; context?: Record<string, unknown> };
}

async function inspectorServer() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const received: Received[] = [];
  const raw: string[] = [];
  let connections = 0;
  server.on('connection', (socket) => {
    connections += 1;
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      raw.push(text);
      received.push(JSON.parse(text) as Received);
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    received,
    raw,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('start --inspect', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('sends every actor and its snapshots, without launch configs', async () => {
    const temp = tempDir();
    cleanups.push(temp.cleanup);
    const inspector = await inspectorServer();
    cleanups.push(inspector.close);
    const config = writeConfig(temp.dir, echoServer('alpha', { API_TOKEN: SECRET }));
    const manager = await startManager({
      configFile: config,
      stateDir: temp.dir,
      logger: silentLogger(),
      env: process.env,
      inspect: { url: inspector.url },
    });
    cleanups.push(() => manager.stop());

    await waitFor(
      () =>
        inspector.received.some(
          (e) => e.type === '@xstate.snapshot' && JSON.stringify(e.snapshot?.value) === JSON.stringify({ running: 'healthy' }),
        ),
      { timeoutMs: 20_000, what: 'a healthy snapshot at the inspector' },
    );
    const actors = inspector.received.filter((e) => e.type === '@xstate.actor').map((e) => e.name);
    expect(actors).toContain('supervisor');
    expect(actors).toContain('alpha');
    const leaks = inspector.raw.filter((text) => text.includes(SECRET));
    expect(leaks).toEqual([]);
    const withSpec = inspector.received.find((e) => e.snapshot?.context?.spec !== undefined);
    expect((withSpec?.snapshot?.context?.spec as { launch?: unknown } | undefined)?.launch).toBe('[redacted]');

    await manager.stop();
    await waitFor(() => manager.closed.then(() => true), { what: 'the manager to stop' });
  });

  it('sends nothing when off', async () => {
    const temp = tempDir();
    cleanups.push(temp.cleanup);
    const inspector = await inspectorServer();
    cleanups.push(inspector.close);
    const run: Running = await runManager(writeConfig(temp.dir, echoServer('alpha')), temp.dir);
    cleanups.push(() => run.manager.stop());
    await run.waitState('alpha', 'healthy');
    expect(inspector.connections()).toBe(0);
  });
});
