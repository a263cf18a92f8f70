/**
 * A remote server end to end: a real manager with `connection_type: http`, a real backend
 * process, the control API and the gateway. When the backend restarts on the same port the
 * chart reconnects (new session, full handshake) through its restart/backoff machinery.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlClient } from '../../../src/control/client.js';
import { silentLogger } from '../../../src/logger.js';
import { socketPathOf } from '../../../src/state/paths.js';
import { startManager } from '../../../src/supervisor/start.js';
import { waitFor } from '../../helpers/processes.js';
import { tempDir, writeConfig } from '../../supervisor/harness.js';
import { RemoteRun, closedPort, textOf } from './harness.js';

let run = new RemoteRun();
let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  await run.cleanup();
  run = new RemoteRun();
});

describe('manager with a remote HTTP server', () => {
  it('reaches healthy, and after the backend restarts on the same port it is healthy again with a new session', async () => {
    const first = await run.backend('remote-http.mjs');
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const config = writeConfig(
      tmp.dir,
      [
        '  docs:',
        '    connection_type: http',
        `    url: "${first.url}"`,
        '    headers:',
        '      Authorization: "Bearer ${DOCS_TOKEN}"',
        '    backoff: { initial: 0.1, max: 0.5, jitter: 0 }',
        '    max_restarts: 50',
        '',
      ].join('\n'),
    );
    const stateDir = join(tmp.dir, 'state');
    const manager = await startManager({
      configFile: config,
      stateDir,
      logger: silentLogger(),
      env: { ...process.env, DOCS_TOKEN: 'e2e-token' },
      http: { host: '127.0.0.1', port: 0 },
    });
    cleanups.push(() => manager.stop());
    const control = createControlClient(socketPathOf(stateDir));
    const docs = async () => (await control.status({ detailed: true })).servers.find((s) => s.name === 'docs');
    const waitDocs = (what: string, ok: (s: NonNullable<Awaited<ReturnType<typeof docs>>>) => boolean) =>
      waitFor(
        async () => {
          const s = await docs();
          return s && ok(s) ? s : undefined;
        },
        { what, timeoutMs: 30_000 },
      );

    const healthy = await waitDocs('docs healthy', (s) => s.state === 'healthy');
    expect(healthy).toMatchObject({ pid: null, restarts: 0, transport: 'http' });
    expect(healthy.tools).toEqual(expect.arrayContaining(['echo', 'whoami', 'pid']));

    // through the gateway, to the backend, with the interpolated header
    const gateway = new Client({ name: 'e2e', version: '1.0.0' });
    await gateway.connect(new StreamableHTTPClientTransport(new URL(manager.gatewayUrl!)));
    cleanups.push(() => gateway.close());
    expect(textOf(await gateway.callTool({ name: 'docs__whoami', arguments: {} }))).toBe('Bearer e2e-token');
    expect(textOf(await gateway.callTool({ name: 'docs__pid', arguments: {} }))).toBe(String(first.pid));

    await first.kill();
    const second = await run.backend('remote-http.mjs', ['--port', String(first.port)]);

    const again = await waitDocs('docs healthy again after the restart', (s) => s.state === 'healthy' && s.restarts >= 1);
    expect(again.tools).toEqual(expect.arrayContaining(['echo', 'whoami', 'pid']));
    // a new session: the new backend saw the handshake
    expect(second.lines.some((l) => l === 'request POST /mcp authorization=Bearer e2e-token')).toBe(true);
    const pid = await waitFor(
      async () => {
        const text = await gateway.callTool({ name: 'docs__pid', arguments: {} }).then(textOf, () => '');
        return text === String(second.pid) ? text : undefined;
      },
      { what: 'the gateway to reach the new backend', timeoutMs: 15_000 },
    );
    expect(pid).toBe(String(second.pid));
  });

  it('an unreachable URL is reported with a clear reason and retried with backoff', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const port = await closedPort();
    const config = writeConfig(
      tmp.dir,
      [
        '  gone:',
        '    connection_type: http',
        `    url: "http://127.0.0.1:${port}/mcp"`,
        '    backoff: { initial: 0.05, max: 0.1, jitter: 0 }',
        '    max_restarts: 2',
        '',
      ].join('\n'),
    );
    const stateDir = join(tmp.dir, 'state');
    const manager = await startManager({ configFile: config, stateDir, logger: silentLogger(), env: process.env });
    cleanups.push(() => manager.stop());
    const control = createControlClient(socketPathOf(stateDir));
    const failed = await waitFor(
      async () => (await control.status({ detailed: true })).servers.find((s) => s.name === 'gone' && s.state === 'failed'),
      { what: 'gone to be failed', timeoutMs: 30_000 },
    );
    expect(failed.restarts).toBe(2);
    expect(failed.error).toBe(`SERVER_UNAVAILABLE: server "gone": http://127.0.0.1:${port}/mcp: connection refused`);
    expect(failed.stderrTail).toContain(`http://127.0.0.1:${port}/mcp: connection refused`);
  });
});
