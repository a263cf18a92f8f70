/**
 * Streamable HTTP and legacy SSE against real fixture servers on 127.0.0.1.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagerError } from '../../../src/errors.js';
import type { HttpRemoteTransport } from '../../../src/transports/remote/http.js';
import { waitFor } from '../../helpers/processes.js';
import { RemoteRun, closedPort, textOf, within } from './harness.js';

let run = new RemoteRun();
const servers: Server[] = [];
afterEach(async () => {
  await run.cleanup();
  run = new RemoteRun();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const count = (lines: string[], text: string): number => lines.filter((l) => l.startsWith(text)).length;

/** An in-process HTTP server on 127.0.0.1 answering every request with `listener`. */
async function answering(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/mcp`;
}

describe('Streamable HTTP', () => {
  it('calls a tool, and the configured headers reach the server on every request', async () => {
    const backend = await run.backend('remote-http.mjs');
    const transport = run.transport('http', backend.url, { Authorization: 'Bearer x' });
    const client = await run.client(transport);

    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hello' } }))).toBe('hello');
    expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe('Bearer x');
    expect((transport as HttpRemoteTransport).mode).toBe('streamable');
    expect(transport.pid).toBeNull();
    expect(transport.running).toBe(true);
    // the initialize POST and the event stream GET carried the header too
    await waitFor(() => count(backend.lines, 'request GET /mcp authorization=Bearer x') > 0, { what: 'the GET event stream' });
    expect(count(backend.lines, 'request POST /mcp authorization=-')).toBe(0);
  });

  it('works with a server that answers POSTs with JSON instead of an event stream', async () => {
    const backend = await run.backend('remote-http.mjs', ['--json']);
    const transport = run.transport('http', backend.url);
    const client = await run.client(transport);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'json' } }))).toBe('json');
  });

  it('close() ends the session politely and resolves exited', async () => {
    const backend = await run.backend('remote-http.mjs');
    const transport = run.transport('http', backend.url);
    const client = await run.client(transport);
    await client.close();
    const exit = await within(transport.exited, 5_000, 'exited after close');
    expect(exit).toMatchObject({ exitCode: null, signal: null });
    expect(transport.running).toBe(false);
    await waitFor(() => count(backend.lines, 'request DELETE /mcp') === 1, { what: 'the DELETE of the session' });
  });

  it('a session the backend forgot (HTTP 404) ends the transport with a clear reason; a new one works', async () => {
    const backend = await run.backend('remote-http.mjs');
    const transport = run.transport('http', backend.url);
    const client = await run.client(transport);
    await client.callTool({ name: 'forget_sessions', arguments: {} });
    await waitFor(() => backend.lines.includes('forgetting all sessions'), { what: 'the fixture to forget its sessions' });

    await expect(client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(
      /server "remote": http:\/\/127\.0\.0\.1:\d+\/mcp: session expired \(HTTP 404\); reconnecting/,
    );
    const exit = await within(transport.exited, 5_000, 'exited after the 404');
    expect(exit.exitCode).toBeNull();
    expect(exit.stderrTail.at(-1)).toMatch(/session expired \(HTTP 404\); reconnecting$/);
    expect(transport.running).toBe(false);

    const fresh = await run.client(run.transport('http', backend.url));
    expect(textOf(await fresh.callTool({ name: 'echo', arguments: { text: 'again' } }))).toBe('again');
  });

  it('a backend restarted on the same port: the old transport exits with the reason, a fresh one works', async () => {
    const first = await run.backend('remote-http.mjs');
    const transport = run.transport('http', first.url);
    const client = await run.client(transport);
    expect(textOf(await client.callTool({ name: 'pid', arguments: {} }))).toBe(String(first.pid));

    await first.kill();
    const second = await run.backend('remote-http.mjs', ['--port', String(first.port)]);
    expect(second.url).toBe(first.url);

    const exit = await within(transport.exited, 10_000, 'the old transport to notice the restart');
    expect(exit.stderrTail.join('\n')).toMatch(
      /session expired \(HTTP 404\); reconnecting|connection lost: connection (refused|reset|closed)/,
    );
    await expect(client.callTool({ name: 'pid', arguments: {} })).rejects.toThrow();

    const fresh = await run.client(run.transport('http', first.url));
    expect(textOf(await fresh.callTool({ name: 'pid', arguments: {} }))).toBe(String(second.pid));
  });
});

describe('legacy HTTP+SSE', () => {
  it('falls back when POST answers 404, and the next open goes straight to SSE', async () => {
    const backend = await run.backend('remote-http.mjs', ['--legacy-sse']);
    const first = run.transport('http', backend.url, { Authorization: 'Bearer legacy' });
    const client = await run.client(first);
    expect((first as HttpRemoteTransport).mode).toBe('sse');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'old' } }))).toBe('old');
    expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe('Bearer legacy');
    expect(count(backend.lines, 'request POST /mcp')).toBe(1);
    expect(count(backend.lines, 'request GET /mcp authorization=Bearer legacy')).toBe(1);
    expect(first.stderrTail().join('\n')).toContain('Streamable HTTP POST answered HTTP 404; trying the legacy HTTP+SSE transport');

    const second = run.transport('http', backend.url, { Authorization: 'Bearer legacy' });
    const again = await run.client(second);
    expect((second as HttpRemoteTransport).mode).toBe('sse');
    expect(textOf(await again.callTool({ name: 'echo', arguments: { text: 'direct' } }))).toBe('direct');
    expect(count(backend.lines, 'request POST /mcp')).toBe(1);
    expect(count(backend.lines, 'request GET /mcp')).toBe(2);
  });

  it('a URL remembered as legacy is probed again after SSE failed there', async () => {
    const legacy = await run.backend('remote-http.mjs', ['--legacy-sse']);
    await run.client(run.transport('http', legacy.url));
    await legacy.kill();
    const upgraded = await run.backend('remote-http.mjs', ['--port', String(legacy.port)]);
    // remembered: straight to SSE, which this server does not serve without a session
    await expect(run.client(run.transport('http', legacy.url))).rejects.toThrow(/answered HTTP 400/);
    expect(upgraded.lines.filter((l) => l.startsWith('request POST'))).toEqual([]);
    // forgotten: Streamable HTTP again
    const transport = run.transport('http', legacy.url);
    const client = await run.client(transport);
    expect((transport as HttpRemoteTransport).mode).toBe('streamable');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'new' } }))).toBe('new');
  });

  it('a session the legacy server forgot (HTTP 404 on POST) ends the transport', async () => {
    const backend = await run.backend('remote-http.mjs', ['--legacy-sse']);
    const transport = run.transport('sse', backend.url);
    const client = await run.client(transport);
    await client.callTool({ name: 'forget_sessions', arguments: {} });
    await waitFor(() => backend.lines.includes('forgetting all sessions'), { what: 'the fixture to forget its sessions' });
    await expect(client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(/session expired \(HTTP 404\); reconnecting/);
    const exit = await within(transport.exited, 5_000, 'exited after the 404');
    expect(exit.stderrTail.at(-1)).toMatch(/session expired \(HTTP 404\); reconnecting$/);
  });

  it('connection_type sse uses SSE directly', async () => {
    const backend = await run.backend('remote-http.mjs', ['--legacy-sse']);
    const sseUrl = backend.url.replace(/\/mcp$/, '/sse');
    const client = await run.client(run.transport('sse', sseUrl));
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'sse' } }))).toBe('sse');
    expect(count(backend.lines, 'request GET /sse')).toBe(1);
    expect(count(backend.lines, 'request POST /sse')).toBe(0);
  });

  it('the stream ending (backend killed) ends the transport', async () => {
    const backend = await run.backend('remote-http.mjs', ['--legacy-sse']);
    const transport = run.transport('sse', backend.url.replace(/\/mcp$/, '/sse'));
    await run.client(transport);
    await backend.kill();
    const exit = await within(transport.exited, 5_000, 'exited after the kill');
    expect(exit.stderrTail.at(-1)).toMatch(/connection lost: event stream ended/);
  });
});

describe('bad backends', () => {
  it('connection refused: a clear reason naming server and URL, exited resolves', async () => {
    const port = await closedPort();
    const transport = run.transport('http', `http://127.0.0.1:${port}/mcp`, {}, 'docs');
    const error = await run.client(transport).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ManagerError.is(error) && error.code).toBe('SERVER_UNAVAILABLE');
    expect((error as Error).message).toBe(`server "docs": http://127.0.0.1:${port}/mcp: connection refused`);
    const exit = await within(transport.exited, 5_000, 'exited');
    expect(exit.stderrTail).toContain(`http://127.0.0.1:${port}/mcp: connection refused`);
  });

  it('an HTML answer is named as such', async () => {
    const backend = await run.backend('remote-http.mjs', ['--html']);
    await expect(run.client(run.transport('http', backend.url, {}, 'docs'))).rejects.toThrow(
      `server "docs": ${backend.url} answered HTML (status 200), not MCP`,
    );
  });

  it('a JSON answer that does not parse is named as such', async () => {
    const url = await answering((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":'));
    await expect(run.client(run.transport('http', url))).rejects.toThrow(
      /answered a body that is not JSON \(status 200\): "\{\\"jsonrpc\\":"/,
    );
  });

  it('when neither transport works, the error says what each answered', async () => {
    const url = await answering((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('nothing here'));
    await expect(run.client(run.transport('http', url))).rejects.toThrow(
      /Streamable HTTP POST answered HTTP 404, and the legacy SSE fallback failed: answered HTTP 404 Not Found: "nothing here"/,
    );
  });

  it('a server error on an established session fails that call only', async () => {
    let failNext = false;
    const backend = await run.backend('remote-http.mjs');
    // a proxy in front of the fixture that can answer 502 once
    const target = new URL(backend.url);
    const url = await answering((req, res) => {
      if (failNext && req.method === 'POST') {
        failNext = false;
        res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection')) as Record<
          string,
          string
        >;
        fetch(target, { method: req.method ?? 'GET', headers, ...(body && req.method !== 'GET' ? { body } : {}) })
          .then(async (upstream) => {
            res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
            if (!upstream.body) return void res.end();
            for await (const chunk of upstream.body) res.write(chunk);
            res.end();
          })
          .catch(() => res.destroy());
      });
    });
    const transport = run.transport('http', url);
    const client = await run.client(transport);
    failNext = true;
    await expect(client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(
      /answered HTTP 502 Bad Gateway: "bad gateway"/,
    );
    expect(transport.running).toBe(true);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'still' } }))).toBe('still');
  });

  it('credentials in the URL never appear in messages', async () => {
    const port = await closedPort();
    const transport = run.transport('http', `http://user:hunter2@127.0.0.1:${port}/mcp?api_key=sekrit`, { Authorization: 'Bearer tok3n' });
    const error = await run.client(transport).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe(`server "remote": http://127.0.0.1:${port}/mcp?…: connection refused`);
    const everything = JSON.stringify([error?.message, (await transport.exited).stderrTail, transport.stderrTail()]);
    for (const secret of ['hunter2', 'sekrit', 'tok3n']) expect(everything).not.toContain(secret);
  });
});
