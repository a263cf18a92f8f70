/**
 * Reconnecting clients never lock others out: the SDK client's close() sends no DELETE,
 * so every cycle leaves an idle session behind. At the cap the least recently used idle
 * one is evicted; 5,000 cycles against a cap of 50 never see a 503.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../helpers/processes.js';
import { echoServer, tempDir } from '../supervisor/harness.js';
import { endedAfterEach, healthz, rssOf, startCliManager } from './harness.js';

const started = endedAfterEach();

const CYCLES = 5_000;
const CAP = 50;

describe('HTTP session cap', () => {
  it(`${CYCLES} connect/close cycles with the SDK client never get a 503 (cap ${CAP})`, { timeout: 600_000 }, async () => {
    const tmp = tempDir();
    started.cleanup = tmp.cleanup;
    const config = join(tmp.dir, 'config.yaml');
    writeFileSync(
      config,
      `manager:\n  shutdown_timeout: 20s\n  http_sessions: ${CAP}\n  session_idle_timeout: 30m\nservers:\n${echoServer('echo')}`,
    );
    const m = (started.manager = await startCliManager({ config, stateDir: join(tmp.dir, 'state'), http: true }));
    await waitFor(async () => (await m.status()).servers[0]?.state === 'healthy', { timeoutMs: 20_000, what: 'echo healthy' });
    const url = new URL(m.url!);

    const failures: string[] = [];
    let rssBefore = 0;
    for (let i = 0; i < CYCLES; i++) {
      // warm: the heap has grown to its working size
      if (i === 500) rssBefore = rssOf(m.pid);
      const client = new Client({ name: 'reconnecting', version: '1.0.0' });
      try {
        await client.connect(new StreamableHTTPClientTransport(url));
        if (i % 500 === 0) {
          expect((await client.callTool({ name: 'echo__echo', arguments: { text: `cycle ${i}` } })).content).toEqual([
            { type: 'text', text: `cycle ${i}` },
          ]);
          expect(await healthz(m.url!)).toBe(200);
        }
      } catch (error) {
        failures.push(`cycle ${i}: ${error instanceof Error ? error.message : String(error)}`);
        if (failures.length >= 5) break;
      } finally {
        await client.close();
      }
    }
    expect(failures).toEqual([]);
    const { manager: info } = await m.status();
    expect(info.http).toMatchObject({ maxSessions: CAP });
    expect(info.http!.sessions).toBeLessThanOrEqual(CAP);
    expect(info.http!.evictions).toBeGreaterThanOrEqual(CYCLES - CAP);
    // and in the metrics
    const metrics = await (await fetch(new URL('/metrics', m.url))).text();
    const counted = /^mcp_manager_gateway_session_evictions_total (\d+)$/m.exec(metrics);
    expect(Number(counted?.[1])).toBe(info.http!.evictions);
    // garbage-collected memory comes and goes: once idle it must come back within 20 %
    await waitFor(() => rssOf(m.pid) <= rssBefore * 1.2, {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: `RSS back within 20 % of ${Math.round(rssBefore / 1e6)} MB`,
    });

    const children = m.descendants();
    expect(await m.stop()).toBe(0);
    expect(children.filter(isAlive)).toEqual([]);
  });
});
