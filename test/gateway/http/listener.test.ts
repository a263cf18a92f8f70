import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagerError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/logger.js';
import { assertBindAllowed, hostHeadersFor, reachableNames } from '../../../src/gateway/http/exposure.js';
import { startGatewayHttp } from '../../../src/gateway/http/listener.js';
import { INIT, callTool, raw, rawSession, startHarness, waitFor, type Harness } from './harness.js';

let harness: Harness | undefined;

async function start(...args: Parameters<typeof startHarness>): Promise<Harness> {
  harness = await startHarness(...args);
  return harness;
}

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const SESSION_NOT_FOUND = { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null };

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startGatewayHttp: sessions', () => {
  it('creates a session on initialize and returns its id', async () => {
    const h = await start();
    const res = await raw(h.gateway.port, { body: INIT });

    expect(res.status).toBe(200);
    expect(res.headers['mcp-session-id']).toBe(h.transports[0]?.sessionId);
    expect(JSON.parse(res.text)).toMatchObject({ jsonrpc: '2.0', id: 0, result: { serverInfo: { name: 'http-test-server' } } });
    expect(h.gateway.url).toBe(`http://127.0.0.1:${h.gateway.port}/mcp`);
  });

  it('answers 404 for an unknown session, on POST, GET and DELETE', async () => {
    const h = await start();
    const headers = { 'mcp-session-id': 'no-such-session' };
    for (const method of ['POST', 'GET', 'DELETE']) {
      const res = await raw(h.gateway.port, {
        method,
        headers: method === 'GET' ? { ...headers, accept: 'text/event-stream' } : headers,
        body: method === 'POST' ? callTool(1, 'echo') : undefined,
      });
      expect([method, res.status]).toEqual([method, 404]);
      expect(JSON.parse(res.text)).toEqual(SESSION_NOT_FOUND);
    }
  });

  it('ends a session on DELETE; later requests with its id get 404', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);

    const deleted = await raw(h.gateway.port, { method: 'DELETE', headers: { 'mcp-session-id': session } });
    expect(deleted.status).toBe(200);
    expect(h.gateway.sessionCount()).toBe(0);

    const after = await raw(h.gateway.port, { body: callTool(1, 'echo'), headers: { 'mcp-session-id': session } });
    expect(after.status).toBe(404);
    expect(JSON.parse(after.text)).toEqual(SESSION_NOT_FOUND);
  });

  it('requires a session id for anything but initialize', async () => {
    const h = await start();
    const res = await raw(h.gateway.port, { body: callTool(1, 'echo') });
    expect(res.status).toBe(400);
    expect(h.gateway.sessionCount()).toBe(0);
  });

  it('refuses a second initialize on an existing session', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);
    const res = await raw(h.gateway.port, { body: INIT, headers: { 'mcp-session-id': session } });
    expect(res.status).toBe(400);
    expect(h.gateway.sessionCount()).toBe(1);
  });

  it('rejects an unsupported MCP-Protocol-Version and accepts a supported one', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);

    const bad = await raw(h.gateway.port, {
      body: callTool(1, 'echo'),
      headers: { 'mcp-session-id': session, 'mcp-protocol-version': '1999-01-01' },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('1999-01-01');

    const good = await raw(h.gateway.port, {
      body: callTool(2, 'echo'),
      headers: { 'mcp-session-id': session, 'mcp-protocol-version': '2025-03-26' },
    });
    expect(good.status).toBe(200);
  });

  it('closes sessions that stay idle', async () => {
    const h = await start({ sessionIdleTimeoutMs: 100 });
    const session = await rawSession(h.gateway.port);

    await waitFor(() => h.gateway.sessionCount() === 0, 'the idle session to close');
    const res = await raw(h.gateway.port, { body: callTool(1, 'echo'), headers: { 'mcp-session-id': session } });
    expect(res.status).toBe(404);
  });

  it('at maxSessions closes the least recently used idle session instead of refusing a new client', async () => {
    const h = await start({ maxSessions: 2 });
    const port = h.gateway.port;
    const tick = async () => {
      const t = Date.now();
      await waitFor(() => Date.now() > t, 'the clock to move');
    };
    const first = await rawSession(port);
    await tick();
    const second = await rawSession(port);
    await tick();
    // `first` was used last: `second` is the least recently used
    expect((await raw(port, { body: callTool(1, 'echo'), headers: { 'mcp-session-id': first } })).status).toBe(200);
    await tick();

    const res = await raw(port, { body: INIT });
    expect(res.status).toBe(200);
    expect(h.gateway.evictions()).toBe(1);
    expect(h.gateway.sessionCount()).toBe(2);
    expect((await raw(port, { body: callTool(2, 'echo'), headers: { 'mcp-session-id': second } })).status).toBe(404);
    expect((await raw(port, { body: callTool(3, 'echo'), headers: { 'mcp-session-id': first } })).status).toBe(200);
  });

  it('refuses a new session with 503 only when every session at the cap is busy', async () => {
    const h = await start({ maxSessions: 1 });
    const port = h.gateway.port;
    const session = await rawSession(port);
    // an open GET stream keeps the session busy
    const stream = request({
      host: '127.0.0.1',
      port,
      path: '/mcp',
      method: 'GET',
      headers: { 'mcp-session-id': session, accept: 'text/event-stream' },
    });
    const opened = new Promise<IncomingMessage>((resolve) => stream.once('response', resolve));
    stream.end();
    const response = await opened;
    expect(response.statusCode).toBe(200);

    const res = await raw(port, { body: INIT });
    expect(res.status).toBe(503);
    expect(res.text).toContain('busy');
    expect(h.gateway.evictions()).toBe(0);
    stream.destroy();
  });

  it('answers 500 and keeps no session when connectSession fails', async () => {
    const h = await start({ connectSession: () => Promise.reject(new Error('backend down')) });
    const res = await raw(h.gateway.port, { body: INIT });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: -32603 } });
    expect(h.gateway.sessionCount()).toBe(0);
  });
});

describe('startGatewayHttp: bad input', () => {
  it('answers 413 with a JSON-RPC error for an oversized body, and stays usable', async () => {
    const h = await start({ maxBodyBytes: 1024 });
    const res = await raw(h.gateway.port, { body: { ...INIT, params: { ...INIT.params, padding: 'x'.repeat(4096) } } });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    expect(h.gateway.sessionCount()).toBe(0);
    expect((await raw(h.gateway.port, { body: INIT })).status).toBe(200);
  });

  it('answers 400 parse error for bad JSON', async () => {
    const h = await start();
    const res = await raw(h.gateway.port, { body: '{"jsonrpc": "2.0", "id": 1,' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: invalid JSON' }, id: null });
  });

  it('answers 400 invalid request for JSON that is not a JSON-RPC message or batch', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);
    for (const body of [
      { hello: 1 },
      [],
      [callTool(1, 'echo'), 42],
      { jsonrpc: '2.0', id: 1, method: 'tools/list', extra: true },
      '"text"',
    ]) {
      const res = await raw(h.gateway.port, { body, headers: { 'mcp-session-id': session } });
      expect([body, res.status]).toEqual([body, 400]);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: -32600 } });
    }
  });

  it('answers 406 when Accept lists neither JSON nor SSE', async () => {
    const h = await start();
    const res = await raw(h.gateway.port, { body: INIT, headers: { accept: 'text/html' } });
    expect(res.status).toBe(406);
    expect(h.gateway.sessionCount()).toBe(0);
  });

  it('answers 405 for other methods on /mcp and 404 for unknown paths', async () => {
    const h = await start();
    const put = await raw(h.gateway.port, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST, DELETE');
    expect((await raw(h.gateway.port, { method: 'GET', path: '/nope' })).status).toBe(404);
  });
});

describe('startGatewayHttp: security', () => {
  it('rejects a foreign Origin with 403 and lets loopback and allowed origins through', async () => {
    const h = await start({ allowedOrigins: ['https://app.example.com'] });

    const evil = await raw(h.gateway.port, { body: INIT, headers: { origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    expect(h.gateway.sessionCount()).toBe(0);

    const local = await raw(h.gateway.port, { body: INIT, headers: { origin: 'http://localhost:5173' } });
    expect(local.status).toBe(200);
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const allowed = await raw(h.gateway.port, { body: INIT, headers: { origin: 'https://app.example.com' } });
    expect(allowed.status).toBe(200);
    expect((await raw(h.gateway.port, { body: INIT, headers: { origin: 'null' } })).status).toBe(403);
  });

  it('rejects a Host header that is not loopback or allowed with 403', async () => {
    const h = await start({ allowedHosts: ['mcp.internal:8080'] });
    const port = h.gateway.port;

    const evil = await raw(port, { body: INIT, headers: { host: `evil.example:${port}` } });
    expect(evil.status).toBe(403);
    expect(h.gateway.sessionCount()).toBe(0);
    expect((await raw(port, { body: INIT, headers: { host: `localhost:${port + 1}` } })).status).toBe(403);

    expect((await raw(port, { body: INIT, headers: { host: `localhost:${port}` } })).status).toBe(200);
    expect((await raw(port, { body: INIT, headers: { host: `[::1]:${port}` } })).status).toBe(200);
    expect((await raw(port, { body: INIT, headers: { host: 'mcp.internal:8080' } })).status).toBe(200);
  });

  it('refuses to start beyond loopback without a bearer token', async () => {
    const attempt = startGatewayHttp({
      host: '0.0.0.0',
      port: 0,
      logger: silentLogger(),
      readiness: () => ({ ready: true, detail: {} }),
      connectSession: () => Promise.resolve(),
    });
    await expect(attempt).rejects.toSatisfy(
      (error: unknown) => ManagerError.is(error) && error.code === 'USAGE' && /0\.0\.0\.0.*bearer token/.test(error.message),
    );
  });

  it('with a bearer token: missing or wrong → 401 with WWW-Authenticate, right → works', async () => {
    const h = await start({ bearerToken: 's3cret-token' });
    const port = h.gateway.port;

    const missing = await raw(port, { body: INIT });
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await raw(port, { body: INIT, headers: { authorization: 'Bearer s3cret-tokem' } });
    expect(wrong.status).toBe(401);
    const wrongScheme = await raw(port, { body: INIT, headers: { authorization: 'Basic s3cret-token' } });
    expect(wrongScheme.status).toBe(401);
    expect(h.gateway.sessionCount()).toBe(0);

    const { client } = await h.connect({ token: 's3cret-token' });
    expect((await client.listTools()).tools.length).toBe(4);
    expect(h.gateway.sessionCount()).toBe(1);
    // Probes stay open for orchestrators.
    expect((await raw(port, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });
});

describe('startGatewayHttp: beyond loopback', () => {
  it('with a token set, /readyz without it answers ready or not but names no server', async () => {
    const h = await start({ bearerToken: 's3cret-token' });
    const port = h.gateway.port;
    const bare = await raw(port, { method: 'GET', path: '/readyz' });
    expect(bare.status).toBe(200);
    expect(JSON.parse(bare.text)).toEqual({ status: 'ready' });
    const full = await raw(port, { method: 'GET', path: '/readyz', headers: { authorization: 'Bearer s3cret-token' } });
    expect(JSON.parse(full.text)).toEqual({ status: 'ready', detail: { routable: ['echo'] } });
    h.readiness.ready = false;
    expect((await raw(port, { method: 'GET', path: '/readyz' })).status).toBe(503);
  });

  it('refuses a non-loopback bind without a token, and knows the names a wildcard bind answers to', () => {
    expect(() => assertBindAllowed('0.0.0.0', undefined)).toThrow(/refusing to listen on 0\.0\.0\.0 without a bearer token/);
    expect(() => assertBindAllowed('0.0.0.0', 'token')).not.toThrow();
    expect(() => assertBindAllowed('127.0.0.1', undefined)).not.toThrow();
    const names = reachableNames('0.0.0.0');
    expect(names).toContain('127.0.0.1');
    expect(names).not.toContain('0.0.0.0');
    expect(hostHeadersFor(['10.0.0.5'], 8080)).toEqual(['10.0.0.5:8080']);
    expect(reachableNames('192.0.2.7')).toContain('192.0.2.7');
  });
});

describe('startGatewayHttp: probes, extra routes, close', () => {
  it('serves /healthz and /readyz (ready and not ready, with detail)', async () => {
    const h = await start();
    const port = h.gateway.port;

    const health = await raw(port, { method: 'GET', path: '/healthz' });
    expect([health.status, JSON.parse(health.text)]).toEqual([200, { status: 'ok' }]);

    const ready = await raw(port, { method: 'GET', path: '/readyz' });
    expect([ready.status, JSON.parse(ready.text)]).toEqual([200, { status: 'ready', detail: { routable: ['echo'] } }]);

    h.readiness.ready = false;
    h.readiness.detail = { routable: [], starting: ['echo'] };
    const notReady = await raw(port, { method: 'GET', path: '/readyz' });
    expect([notReady.status, JSON.parse(notReady.text)]).toEqual([
      503,
      { status: 'not ready', detail: { routable: [], starting: ['echo'] } },
    ]);
  });

  it('hands other paths to extraRoutes', async () => {
    const h = await start({
      extraRoutes: (req, res) => {
        if (req.url !== '/metrics') return false;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('up 1\n');
        return true;
      },
    });
    const metrics = await raw(h.gateway.port, { method: 'GET', path: '/metrics' });
    expect([metrics.status, metrics.text]).toEqual([200, 'up 1\n']);
    expect((await raw(h.gateway.port, { method: 'GET', path: '/other' })).status).toBe(404);
  });

  it('close() ends sessions, calls in flight and open streams, and frees the port', async () => {
    const h = await start();
    const { client } = await h.connect();
    const transport = h.transports[0]!;
    await waitFor(() => transport.hasStandaloneStream, 'the client to open its GET stream');
    const outcome = client.callTool({ name: 'slow' }).then(
      () => 'answered',
      (error: unknown) => String(error),
    );
    await waitFor(() => h.slowCalls.length === 1, 'the slow call to start');
    const port = h.gateway.port;

    await h.gateway.close();

    expect(await outcome).toMatch(/Session closed/);
    expect(h.gateway.sessionCount()).toBe(0);
    expect(transport.isClosed).toBe(true);
    expect(transport.hasStandaloneStream).toBe(false);
    expect(await canConnect(port)).toBe(false);
  });
});
