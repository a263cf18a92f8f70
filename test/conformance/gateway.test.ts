/**
 * The official conformance suite against the gateway, with the conformance fixture
 * behind it (unprefixed): the backend once over stdio, once over Streamable HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ProcessTracker, waitFor } from '../helpers/processes.js';
import { REPO, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';
import { formatFailures, listServerScenarios, runConformance } from './run-suite.js';

const FIXTURE = join(REPO, 'test/fixtures/servers/conformance.mjs');

describe('conformance through the gateway (stdio backend)', () => {
  let m: Running;
  let cleanup: () => void;

  beforeAll(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const config = writeConfig(
      tmp.dir,
      `  conformance:\n    command: ${process.execPath}\n    args: ["${FIXTURE}", "stdio"]\n    prefix: ""\n    client_capabilities: { sampling: true, elicitation: true, roots: true }\n`,
    );
    m = await runManager(config, join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
    await m.waitState('conformance', 'healthy');
  });

  afterAll(async () => {
    await m.manager.stop();
    cleanup();
  });

  it('passes every server scenario', { timeout: 180_000 }, async () => {
    const [result, scenarios] = await Promise.all([runConformance(m.manager.gatewayUrl!, { timeoutMs: 150_000 }), listServerScenarios()]);
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    expect(result.failed, `failed scenarios:\n${formatFailures(result.failed)}`).toEqual([]);
    expect(result.passed.toSorted()).toEqual(scenarios.toSorted());
  });
});

describe('conformance through the gateway (HTTP backend)', () => {
  const tracker = new ProcessTracker();
  let backend: ChildProcess;
  let m: Running;
  let cleanup: () => void;

  beforeAll(async () => {
    backend = spawn(process.execPath, [FIXTURE, 'http', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    tracker.track(backend.pid);
    let stderr = '';
    backend.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr)?.[1], { timeoutMs: 15_000 });
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const config = writeConfig(
      tmp.dir,
      `  conformance:\n    connection_type: http\n    url: "${url}"\n    prefix: ""\n    client_capabilities: { sampling: true, elicitation: true, roots: true }\n`,
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
    const [result, scenarios] = await Promise.all([runConformance(m.manager.gatewayUrl!, { timeoutMs: 150_000 }), listServerScenarios()]);
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    expect(result.failed, `failed scenarios:\n${formatFailures(result.failed)}`).toEqual([]);
    expect(result.passed.toSorted()).toEqual(scenarios.toSorted());
  });
});
