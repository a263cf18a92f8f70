/**
 * The conformance suite 0.2.0-alpha.12 straight against the dual-era fixture, at both spec
 * versions: the fixture itself must pass every applicable scenario before the gateway is
 * put in front of it (gateway-next.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessTracker } from '../helpers/processes.js';
import { startDualFixtureHttp } from './dual-fixture.js';
import { formatFailures, listServerScenarios, runConformance, SPEC_VERSIONS } from './run-suite.js';

describe('conformance 0.2.0-alpha.12 against the dual-era fixture directly', () => {
  const tracker = new ProcessTracker();
  let url: string;

  beforeAll(async () => {
    url = await startDualFixtureHttp(tracker);
  });

  afterAll(() => {
    tracker.killAll();
  });

  it.each(SPEC_VERSIONS)('passes every server scenario at --spec-version %s', { timeout: 180_000 }, async (specVersion) => {
    const scenarios = await listServerScenarios(specVersion);
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    const result = await runConformance(url, { specVersion, timeoutMs: 150_000 });
    expect(result.failed, `failed scenarios:\n${formatFailures(result.failed)}`).toEqual([]);
    expect(result.passed.toSorted()).toEqual(scenarios.toSorted());
  });
});
