/**
 * Oversized request bodies on the real manager: a body whose Content-Length is over the limit
 * is answered 413 before any of it is read, a chunked one as soon as it passes the limit (the
 * rest is discarded, never kept). /healthz answers while such uploads are held open, memory
 * comes back, and the manager stops cleanly.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../helpers/processes.js';
import { echoServer, tempDir, writeConfig } from '../supervisor/harness.js';
import { endedAfterEach, healthz, rssOf, startCliManager } from './harness.js';

const started = endedAfterEach();
const LIMIT = 4 * 1024 * 1024;
const MB20 = 20 * 1024 * 1024;

/** A raw HTTP/1.1 upload on its own socket: headers and `first` are sent; nothing more unless `rest` is called. */
function upload(url: URL, headers: Record<string, string>, first: Buffer | string) {
  const socket: Socket = connect({ host: url.hostname, port: Number(url.port) });
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => (received += text));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const head = [
    'POST /mcp HTTP/1.1',
    `host: ${url.host}`,
    'content-type: application/json',
    'accept: application/json, text/event-stream',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  socket.write(head);
  socket.write(first);
  return {
    /** The response once the server has closed the connection. */
    response: closed.then(() => received),
    answered: () =>
      waitFor(() => (received.includes('\r\n\r\n') ? received : undefined), { timeoutMs: 20_000, what: 'an answer to the upload' }),
    socket,
  };
}

describe('oversized request bodies', () => {
  it(
    'are refused by Content-Length before reading and at the limit when chunked; the manager keeps serving',
    { timeout: 120_000 },
    async () => {
      const tmp = tempDir();
      started.cleanup = tmp.cleanup;
      const m = (started.manager = await startCliManager({
        config: writeConfig(tmp.dir, echoServer('echo')),
        stateDir: join(tmp.dir, 'state'),
        http: true,
      }));
      await waitFor(async () => (await m.status()).servers[0]?.state === 'healthy', { timeoutMs: 20_000, what: 'echo healthy' });
      const url = new URL(m.url!);
      const rssBefore = rssOf(m.pid);

      // 20 MB announced, not one byte of it sent: the answer comes anyway
      const declared = upload(url, { 'content-length': String(MB20) }, '');
      expect(await healthz(m.url!)).toBe(200);
      const refused = await declared.answered();
      expect(refused).toMatch(/^HTTP\/1\.1 413 /);
      expect(refused).toContain(`Payload Too Large: the body exceeds ${LIMIT} bytes`);
      declared.socket.destroy();

      // chunked, no length: refused as soon as it passes the limit, although the body never ends
      const chunk = Buffer.alloc(LIMIT + 1024, 0x78);
      const chunked = upload(
        url,
        { 'transfer-encoding': 'chunked' },
        Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
      );
      const answer = await chunked.answered();
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(await healthz(m.url!)).toBe(200);
      chunked.socket.destroy();
      await Promise.all([declared.response, chunked.response]);

      // a client that sends its whole 20 MB body (fetch) gets the 413 too, several at once, while /healthz answers
      const body = new Uint8Array(MB20).fill(0x20);
      const sending = Array.from({ length: 4 }, () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body,
        }).then(
          async (res) => `${res.status} ${await res.text()}`,
          (error: unknown) => `failed: ${String(error)} ${String((error as { cause?: unknown }).cause)}`,
        ),
      );
      expect(await healthz(m.url!)).toBe(200);
      for (const outcome of await Promise.all(sending)) expect(outcome).toMatch(/^413 .*Payload Too Large/);

      // still serving: a call goes through
      const init = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
        }),
      });
      expect(init.status).toBe(200);
      await init.arrayBuffer();
      await waitFor(() => rssOf(m.pid) <= rssBefore * 1.2, {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: `RSS back within 20 % of ${Math.round(rssBefore / 1e6)} MB`,
      });

      const children = m.descendants();
      expect(await m.stop()).toBe(0);
      expect(children.filter(isAlive)).toEqual([]);
    },
  );
});
