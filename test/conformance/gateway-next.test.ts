/**
 * The conformance suite 0.2.0-alpha.12 through the gateway, with the dual-era fixture
 * behind it (unprefixed): the backend once over stdio, once over Streamable HTTP, and the
 * suite at each spec version the gateway serves downstream. The suite itself reaches the
 * gateway over Streamable HTTP (its only way to reach a server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ProcessTracker } from '../helpers/processes.js';
import { runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';
import { DUAL_FIXTURE, startDualFixtureHttp } from './dual-fixture.js';
import { formatFailures, listServerScenarios, runConformance, type SpecVersion } from './run-suite.js';

/**
 * The era the gateway reaches the fixture in, per downstream spec version.
 * - 2026-07-28: `auto`, so the fixture is reached in the 2026-07-28 era and input rounds
 *   pass through. A 2025-era upstream cannot serve this suite through any gateway:
 *   `input-required-result-basic-elicitation` wants the server's own key for its input
 *   request, and a 2025-era server's elicitation request carries none.
 * - 2025-11-25: `legacy`, so that both upstream eras are covered for 2025-era clients: the
 *   same suite against the fixture held to the 2026-07-28 era (`protocol: modern`, which is
 *   what `auto` reaches it in) is gateway-legacy-modern.test.ts.
 */
const PROTOCOL_FOR: Record<SpecVersion, 'legacy' | 'auto'> = { '2025-11-25': 'legacy', '2026-07-28': 'auto' };
const SPEC_VERSIONS_THROUGH_GATEWAY = Object.keys(PROTOCOL_FOR) as SpecVersion[];

const BACKENDS = {
  stdio: () => Promise.resolve(`    command: ${process.execPath}\n    args: ["${DUAL_FIXTURE}", "stdio"]\n`),
  http: async (tracker: ProcessTracker) => `    connection_type: http\n    url: "${await startDualFixtureHttp(tracker)}"\n`,
} as const;

const CASES = (Object.keys(BACKENDS) as (keyof typeof BACKENDS)[]).flatMap((transport) =>
  SPEC_VERSIONS_THROUGH_GATEWAY.map((specVersion) => ({ transport, specVersion, protocol: PROTOCOL_FOR[specVersion] })),
);

describe.each(CASES)(
  'conformance 0.2.0-alpha.12 through the gateway ($transport backend, protocol: $protocol)',
  ({ transport, specVersion, protocol }) => {
    const tracker = new ProcessTracker();
    let m: Running;
    let cleanup: () => void;

    beforeAll(async () => {
      const tmp = tempDir();
      cleanup = tmp.cleanup;
      const entry = await BACKENDS[transport](tracker);
      // The gateway offers the backend the capabilities the scenarios' client has.
      const config = writeConfig(
        tmp.dir,
        `  conformance:\n${entry}    prefix: ""\n    protocol: ${protocol}\n    client_capabilities: { sampling: true, elicitation: true, roots: true }\n`,
      );
      m = await runManager(config, join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
      await m.waitState('conformance', 'healthy');
      // the era the fixture was reached in is the one this case is about
      const { servers } = await m.control.capabilities({ server: 'conformance' });
      expect(servers.map((s) => s.era)).toEqual([protocol === 'auto' ? 'modern' : 'legacy']);
    });

    afterAll(async () => {
      await m.manager.stop();
      tracker.killAll();
      cleanup();
    });

    it(`passes every server scenario at --spec-version ${specVersion}`, { timeout: 180_000 }, async () => {
      const scenarios = await listServerScenarios(specVersion);
      expect(scenarios.length).toBeGreaterThanOrEqual(30);
      const result = await runConformance(m.manager.gatewayUrl!, { specVersion, timeoutMs: 150_000 });
      expect(result.failed, `failed scenarios:\n${formatFailures(result.failed)}`).toEqual([]);
      expect(result.passed.toSorted()).toEqual(scenarios.toSorted());
    });
  },
);
