/**
 * 2025-era clients through the gateway to a 2026-07-28 upstream: the conformance suite
 * 0.2.0-alpha.12 at `--spec-version 2025-11-25`, with the dual-era fixture behind the
 * gateway held to the 2026-07-28 era (`protocol: modern`), once over stdio and once over
 * Streamable HTTP. The upstream's input_required rounds become real sampling and
 * elicitation requests on the client's session, and resources/subscribe is served with
 * subscriptions/listen upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ProcessTracker } from '../helpers/processes.js';
import { runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';
import { DUAL_FIXTURE, startDualFixtureHttp } from './dual-fixture.js';
import { formatFailures, listServerScenarios, runConformance } from './run-suite.js';

const BACKENDS = {
  stdio: () => Promise.resolve(`    command: ${process.execPath}\n    args: ["${DUAL_FIXTURE}", "stdio"]\n`),
  http: async (tracker: ProcessTracker) => `    connection_type: http\n    url: "${await startDualFixtureHttp(tracker)}"\n`,
} as const;

describe.each(Object.keys(BACKENDS) as (keyof typeof BACKENDS)[])(
  'conformance 0.2.0-alpha.12 at 2025-11-25 through the gateway to a 2026-07-28 upstream (%s)',
  (transport) => {
    const tracker = new ProcessTracker();
    let m: Running;
    let cleanup: () => void;

    beforeAll(async () => {
      const tmp = tempDir();
      cleanup = tmp.cleanup;
      const entry = await BACKENDS[transport](tracker);
      // `protocol: modern` fails the start unless the upstream speaks 2026-07-28; the gateway
      // declares to it the capabilities the scenarios' client has
      const config = writeConfig(
        tmp.dir,
        `  conformance:\n${entry}    prefix: ""\n    protocol: modern\n    client_capabilities: { sampling: true, elicitation: true, roots: true }\n`,
      );
      m = await runManager(config, join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
      await m.waitState('conformance', 'healthy');
    });

    afterAll(async () => {
      await m.manager.stop();
      tracker.killAll();
      cleanup();
    });

    it('passes every server scenario', { timeout: 180_000 }, async () => {
      const scenarios = await listServerScenarios('2025-11-25');
      expect(scenarios.length).toBeGreaterThanOrEqual(30);
      const result = await runConformance(m.manager.gatewayUrl!, { specVersion: '2025-11-25', timeoutMs: 150_000 });
      expect(result.failed, `failed scenarios:\n${formatFailures(result.failed)}`).toEqual([]);
      expect(result.passed.toSorted()).toEqual(scenarios.toSorted());
    });
  },
);
