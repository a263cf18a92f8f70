/** Loopback targets for probe tests: an HTTP server with one route per behaviour, a closed port. */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';

export interface HttpTarget {
  url(path: string): string;
  port: number;
  /** Requests that reached the server, by path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

const routes: Record<string, (res: ServerResponse) => void> = {
  '/json': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
  '/html': (res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Login</title>'),
  '/mcp': (res) => res.writeHead(405, { 'content-type': 'application/json', allow: 'POST' }).end('{"error":"Method not allowed"}'),
  '/auth': (res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{}'),
  '/moved': (res) => res.writeHead(302, { location: 'https://login.example/sso' }).end(),
  '/broken': (res) => res.writeHead(503).end(),
  '/needs-token': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
  // an SSE stream that never ends: the probe must not wait for the body
  '/sse': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': hello\n\n');
  },
  // accepts the request, never answers
  '/hang': () => undefined,
};

export async function startHttpTarget(): Promise<HttpTarget> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/needs-token' && req.headers.authorization !== 'Bearer s3cret') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    (routes[path] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    hits,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
