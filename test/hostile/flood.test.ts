/**
 * A backend flooding stdout with lines that are not JSON: the manager reports a few and
 * counts the rest, calls the server degraded, keeps answering /healthz, and its memory
 * comes back down.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import { REPO, tempDir, writeConfig } from '../supervisor/harness.js';
import { endedAfterEach, healthz, startCliManager, type CliManager } from './harness.js';

const FLOOD = join(REPO, 'test/fixtures/servers/flood.mjs');
const started = endedAfterEach();

const stateOf = async (m: CliManager, name: string) => (await m.status()).servers.find((s) => s.name === name)?.state;

describe('a backend flooding stdout with garbage', () => {
  it(
    'is reported at a bounded rate, marked degraded, and leaves the manager serving with bounded memory',
    { timeout: 180_000 },
    async () => {
      const tmp = tempDir();
      started.cleanup = tmp.cleanup;
      const config = writeConfig(
        tmp.dir,
        [
          '  noisy:',
          `    command: ${process.execPath}`,
          `    args: ["${FLOOD}"]`,
          '    health_check_interval: 0.3',
          '    stop_grace: 0.2',
          '    stop_timeout: 1',
          '',
        ].join('\n'),
      );
      const m = (started.manager = await startCliManager({ config, stateDir: join(tmp.dir, 'state'), http: true }));
      await waitFor(async () => (await stateOf(m, 'noisy')) === 'healthy', { timeoutMs: 20_000, what: 'noisy to be healthy' });
      const client = new Client({ name: 'hostile-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(m.url!)));
      for (let i = 0; i < 20; i++) await client.callTool({ name: 'noisy__echo', arguments: { text: 'warm' } });
      // a short flood first: the heap and the allocator settle at their working size
      await client.callTool({ name: 'noisy__flood', arguments: { ms: 1_500 } });
      await waitFor(() => m.log().some((l) => /more stdout lines in \d+ s were not MCP messages/.test(l)), {
        timeoutMs: 30_000,
        what: 'the warm-up flood to end',
      });
      const rssBefore = m.rssBytes();

      await client.callTool({ name: 'noisy__flood', arguments: { ms: 6_000 } });
      // during the flood: /healthz answers, calls still go through, the server turns degraded
      let answered = 0;
      await waitFor(
        async () => {
          expect(await healthz(m.url!)).toBe(200);
          answered++;
          return (await stateOf(m, 'noisy')) === 'degraded';
        },
        { timeoutMs: 30_000, what: 'noisy to be degraded' },
      );
      expect(answered).toBeGreaterThan(0);
      expect((await client.callTool({ name: 'noisy__echo', arguments: { text: 'during' } })).content).toEqual([
        { type: 'text', text: 'during' },
      ]);
      const health = await m.control.health({ server: 'noisy' });
      expect(JSON.stringify(health)).toMatch(/stdout lines that are not MCP messages/);

      // after it: healthy again
      await waitFor(async () => (await stateOf(m, 'noisy')) === 'healthy', { timeoutMs: 40_000, what: 'noisy to recover' });
      // a few lines one by one, then one count per interval: nowhere near one per bad line
      await waitFor(() => m.log().some((l) => /\d{3,} more stdout lines in \d+ s were not MCP messages/.test(l)), {
        timeoutMs: 20_000,
        what: 'the count of suppressed reports',
      });
      const unreadable = m.log().filter((l) => l.includes('could not read'));
      expect(unreadable.length).toBeGreaterThan(0);
      expect(unreadable.length).toBeLessThan(60);
      // the allocator gives pages back lazily, later still on a busy machine: as long as elsewhere
      const rssAfter = await waitFor(() => (m.rssBytes() <= rssBefore * 1.2 ? m.rssBytes() : undefined), {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: `manager RSS back within 20 % of ${Math.round(rssBefore / 1e6)} MB (now ${Math.round(m.rssBytes() / 1e6)} MB)`,
      });
      expect(rssAfter).toBeLessThanOrEqual(rssBefore * 1.2);

      await client.close();
      const children = m.descendants();
      expect(children.length).toBeGreaterThan(0);
      expect(await m.stop()).toBe(0);
      expect(m.descendants()).toEqual([]);
    },
  );
});
