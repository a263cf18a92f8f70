import { spawn } from 'node:child_process';
import { existsSync, lstatSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlRequest, createControlClient } from '../../src/control/client.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import type { ControlHandlers } from '../../src/control/types.js';
import { silentLogger } from '../../src/logger.js';
import { fakeHandlers, rawRequest, rejection, shortTempDir, snapshot, waitFor } from './helpers.js';

/** Leave a socket file nobody listens on: bind it in a child, then SIGKILL the child. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(lstatSync(path).isSocket()).toBe(true);
}

describe('control API', () => {
  let dir: string;
  let cleanup: () => void;
  let socketPath: string;
  let server: ControlServer | undefined;

  const start = async (handlers: ControlHandlers, options: { maxBodyBytes?: number; closeGraceMs?: number } = {}) => {
    server = await startControlServer({ socketPath, handlers, logger: silentLogger(), ...options });
    return server;
  };

  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
    socketPath = join(dir, 'control.sock');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    cleanup();
  });

  it('creates the socket with mode 0600', async () => {
    await start(fakeHandlers().handlers);
    const stat = statSync(socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('serves status, detailed status and the server list', async () => {
    const { handlers, calls } = fakeHandlers();
    await start(handlers);
    const client = createControlClient(socketPath);
    expect(await client.status()).toEqual(snapshot(false));
    expect(await client.status({ detailed: true })).toEqual(snapshot(true));
    expect(await client.servers()).toEqual(snapshot(false).servers);
    expect(calls).toEqual(['status detailed=false', 'status detailed=true', 'status detailed=false']);
  });

  it('turns start/stop/restart into handler calls with the server name', async () => {
    const { handlers, calls } = fakeHandlers();
    await start(handlers);
    const client = createControlClient(socketPath);
    await client.restartServer('echo');
    await client.stopServer('echo');
    await client.startServer('echo');
    expect(calls).toEqual(['restart echo', 'stop echo', 'start echo']);
    expect(await controlRequest(socketPath, 'POST', '/servers/echo/restart')).toEqual({ ok: true });
  });

  it('decodes percent-encoded server names', async () => {
    const seen: string[] = [];
    await start(fakeHandlers({ restartServer: (name) => void seen.push(name) }).handlers);
    await createControlClient(socketPath).restartServer('a b#c');
    expect(seen).toEqual(['a b#c']);
  });

  it('answers an unknown server with 404 and the SERVER_NOT_FOUND code', async () => {
    await start(fakeHandlers().handlers);
    const reply = await rawRequest(socketPath, 'POST', '/servers/nope/restart');
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({
      error: { code: 'SERVER_NOT_FOUND', message: 'no server named "nope"', data: { server: 'nope' } },
    });
    const error = await rejection(createControlClient(socketPath).restartServer('nope'));
    expect(error.code).toBe('SERVER_NOT_FOUND');
    expect(error.message).toBe('no server named "nope"');
  });

  it('rejects malformed bodies, unknown routes, wrong methods and oversized bodies', async () => {
    const { handlers, calls } = fakeHandlers();
    await start(handlers, { maxBodyBytes: 1024 });

    const malformed = await rawRequest(socketPath, 'POST', '/servers/echo/restart', '{not json');
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ error: { code: 'USAGE', message: expect.stringMatching(/not valid JSON/) } });
    const notObject = await rawRequest(socketPath, 'POST', '/servers/echo/restart', '[1]');
    expect(notObject.status).toBe(400);

    const unknown = await rawRequest(socketPath, 'GET', '/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 'USAGE', message: 'unknown control route GET /nope' } });
    const unknownAction = await rawRequest(socketPath, 'POST', '/servers/echo/explode');
    expect(unknownAction.status).toBe(404);

    const wrongMethod = await rawRequest(socketPath, 'GET', '/servers/echo/restart');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    expect((await rawRequest(socketPath, 'DELETE', '/status')).status).toBe(405);

    const big = await rawRequest(socketPath, 'POST', '/servers/echo/restart', JSON.stringify({ pad: 'x'.repeat(4096) }));
    expect(big.status).toBe(413);

    expect(calls).toEqual([]); // none of these reached a handler
    expect(await createControlClient(socketPath).status()).toEqual(snapshot(false)); // still serving
  });

  it('survives bytes that are not HTTP at all', async () => {
    await start(fakeHandlers().handlers);
    await new Promise<void>((resolve) => {
      const socket = createConnection(socketPath, () => socket.end('\x00\xffGARBAGE / NOPE\r\n\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
      socket.resume();
    });
    expect(await createControlClient(socketPath).status()).toEqual(snapshot(false));
  });

  it('turns a thrown handler error into a 500 JSON error and keeps serving', async () => {
    await start(
      fakeHandlers({
        restartServer: () => {
          throw new TypeError('boom');
        },
      }).handlers,
    );
    const reply = await rawRequest(socketPath, 'POST', '/servers/echo/restart');
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ error: { code: 'INTERNAL', message: 'internal error: boom' } });
    const error = await rejection(createControlClient(socketPath).restartServer('echo'));
    expect(error.code).toBe('INTERNAL');
    expect((await rawRequest(socketPath, 'GET', '/status')).status).toBe(200);
  });

  it('replies to /shutdown, then calls the shutdown handler, which may close the server at once', async () => {
    let closed: Promise<void> | undefined;
    // Grace 0: connections are cut as soon as the handler closes the server, so the reply
    // only arrives intact if it was flushed before the handler ran.
    await start(
      fakeHandlers({
        shutdown: () => {
          closed = server?.close();
        },
      }).handlers,
      { closeGraceMs: 0 },
    );
    expect(await controlRequest(socketPath, 'POST', '/shutdown')).toEqual({ ok: true });
    await waitFor(() => closed !== undefined, 'shutdown handler');
    await closed;
    expect(existsSync(socketPath)).toBe(false); // close removes the socket file
  });

  it('replaces a stale socket file but refuses to replace anything else', async () => {
    await staleSocket(socketPath);
    await start(fakeHandlers().handlers);
    expect((await createControlClient(socketPath).status()).manager.pid).toBe(1234);
    await server?.close();
    server = undefined;

    writeFileSync(socketPath, 'precious');
    const error = await rejection(start(fakeHandlers().handlers));
    expect(error.code).toBe('CONTROL_FAILED');
    expect(error.message).toMatch(/not a socket/);
  });

  it('close() cuts a request that outlives the grace period', async () => {
    await start(fakeHandlers({ restartServer: () => new Promise<void>(() => undefined) }).handlers, { closeGraceMs: 50 });
    const pending = rejection(createControlClient(socketPath).restartServer('echo'));
    await waitFor(async () => (await rawRequest(socketPath, 'GET', '/status')).status === 200, 'server up');
    await server?.close();
    server = undefined;
    expect((await pending).code).toBe('CONTROL_FAILED');
  });
});

describe('control client', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
  });
  afterEach(() => cleanup());

  it('reports MANAGER_NOT_RUNNING when there is no socket', async () => {
    const socketPath = join(dir, 'control.sock');
    const error = await rejection(controlRequest(socketPath, 'GET', '/status'));
    expect(error.code).toBe('MANAGER_NOT_RUNNING');
    expect(error.message).toBe(`no mcp-manager is running for state dir ${dir} (no control socket at ${socketPath})`);
  });

  it('reports MANAGER_NOT_RUNNING when nothing listens on a leftover socket', async () => {
    const socketPath = join(dir, 'control.sock');
    await staleSocket(socketPath);
    const error = await rejection(controlRequest(socketPath, 'GET', '/status'));
    expect(error.code).toBe('MANAGER_NOT_RUNNING');
    expect(error.message).toMatch(/no mcp-manager is running for state dir/);
  });

  it('gives up after its timeout', async () => {
    const socketPath = join(dir, 'control.sock');
    const server = await startControlServer({
      socketPath,
      handlers: fakeHandlers({ restartServer: () => new Promise<void>(() => undefined) }).handlers,
      logger: silentLogger(),
      closeGraceMs: 0,
    });
    try {
      const error = await rejection(controlRequest(socketPath, 'POST', '/servers/echo/restart', undefined, { timeoutMs: 100 }));
      expect(error.code).toBe('CONTROL_FAILED');
      expect(error.message).toBe('control request POST /servers/echo/restart timed out after 100 ms');
    } finally {
      await server.close();
    }
  });
});
