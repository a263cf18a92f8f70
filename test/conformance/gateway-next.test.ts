/**
 * The conformance suite 0.2.0-alpha.12 through the gateway, with the dual-era fixture
 * behind it (unprefixed): the backend once over stdio, once over Streamable HTTP, and the
 * suite at each spec version the gateway serves downstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ProcessTracker } from '../helpers/processes.js';
import { runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';
import { DUAL_FIXTURE, startDualFixtureHttp } from './dual-fixture.js';
import { formatFailures, listServerScenarios, runConformance, type SpecVersion } from './run-suite.js';

// 2026-07-28 through the gateway does not pass yet: the modern leg lacks Mcp-Param-*
// header validation, and input_required rounds from a modern upstream are not passed through.
const SPEC_VERSIONS_THROUGH_GATEWAY: readonly SpecVersion[] = ['2025-11-25'];

const BACKENDS = {
  stdio: () => Promise.resolve(`    command: ${process.execPath}\n    args: ["${DUAL_FIXTURE}", "stdio"]\n`),
  http: async (tracker: ProcessTracker) => `    connection_type: http\n    url: "${await startDualFixtureHttp(tracker)}"\n`,
} as const;

describe.each(Object.keys(BACKENDS) as (keyof typeof BACKENDS)[])(
  'conformance 0.2.0-alpha.12 through the gateway (%s backend)',
  (transport) => {
    const tracker = new ProcessTracker();
    let m: Running;
    let cleanup: () => void;

    beforeAll(async () => {
      const tmp = tempDir();
      cleanup = tmp.cleanup;
      const entry = await BACKENDS[transport](tracker);
      // The backend is held to the 2025 era: with `protocol: auto` it is reached in the
      // 2026-07-28 era, and a 2025 client's sampling, elicitation and resources/subscribe are
      // not yet carried to a modern upstream. The gateway declares to it the capabilities the
      // scenarios' client has.
      const config = writeConfig(
        tmp.dir,
        `  conformance:\n${entry}    prefix: ""\n    protocol: legacy\n    client_capabilities: { sampling: true, elicitation: true, roots: true }\n`,
      );
      m = await runManager(config, join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
      await m.waitState('conformance', 'healthy');
    });

    afterAll(async () => {
      await m.manager.stop();
      tracker.killAll();
      cleanup();
    });

    it.each(SPEC_VERSIONS_THROUGH_GATEWAY)(
      'passes every server scenario at --spec-version %s',
      { timeout: 180_000 },
      async (specVersion) => {
        const scenarios = await listServerScenarios(specVersion);
        expect(scenarios.length).toBeGreaterThanOrEqual(30);
        const result = await runConformance(m.manager.gatewayUrl!, { specVersion, timeoutMs: 150_000 });
        expect(result.failed, `failed scenarios:\n${formatFailures(result.failed)}`).toEqual([]);
        expect(result.passed.toSorted()).toEqual(scenarios.toSorted());
      },
    );
  },
);
