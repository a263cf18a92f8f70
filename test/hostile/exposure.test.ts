/**
 * The real manager with a bearer token (required beyond loopback; set here on a loopback
 * bind, as tests stay on loopback): without it only a bare liveness answer and a readiness
 * word (no server names); /mcp and /metrics need it; the Host check is on even with the token.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../helpers/processes.js';
import { echoServer, tempDir, writeConfig } from '../supervisor/harness.js';
import { endedAfterEach, startCliManager } from './harness.js';

const started = endedAfterEach();
const TOKEN = 'exposure-test-token-0123456789';

/** A request to 127.0.0.1:port with the Host header we choose (fetch would not let us). */
function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: path === '/mcp' ? 'POST' : 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(
      path === '/mcp'
        ? JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
          })
        : undefined,
    );
  });
}

describe('with a bearer token', () => {
  it(
    'answers liveness and readiness without the token but names no server; everything else needs it; Host is checked',
    { timeout: 60_000 },
    async () => {
      const tmp = tempDir();
      started.cleanup = tmp.cleanup;
      const m = (started.manager = await startCliManager({
        config: writeConfig(tmp.dir, echoServer('secretive-name')),
        stateDir: join(tmp.dir, 'state'),
        http: true,
        env: { MCP_MANAGER_TOKEN: TOKEN },
      }));
      await waitFor(async () => (await m.status()).servers[0]?.state === 'healthy', { timeoutMs: 20_000, what: 'the server healthy' });
      const port = Number(new URL(m.url!).port);
      const host = { host: `127.0.0.1:${port}` };
      const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const bearer = { authorization: `Bearer ${TOKEN}` };

      const live = await get(port, '/healthz', host);
      expect(live.status).toBe(200);
      expect(live.text).not.toContain('secretive-name');
      const ready = await get(port, '/readyz', host);
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text)).toEqual({ status: 'ready' });
      // with the token, readiness has the detail
      expect((await get(port, '/readyz', { ...host, ...bearer })).text).toContain('secretive-name');

      for (const path of ['/mcp', '/metrics']) {
        const refused = await get(port, path, { ...host, ...json });
        expect(refused.status).toBe(401);
        expect(refused.text).not.toContain('secretive-name');
      }
      expect((await get(port, '/metrics', { ...host, ...bearer })).status).toBe(200);
      expect((await get(port, '/mcp', { ...host, ...json, ...bearer })).status).toBe(200);
      // a name this machine is not known by: refused, token or not (DNS rebinding)
      expect((await get(port, '/mcp', { host: `attacker.example:${port}`, ...json, ...bearer })).status).toBe(403);

      const children = m.descendants();
      expect(await m.stop()).toBe(0);
      expect(children.filter(isAlive)).toEqual([]);
    },
  );
});
