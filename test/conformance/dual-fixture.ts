/**
 * The dual-era conformance fixture (test/fixtures/servers/conformance-dual.mjs) as a
 * spawned HTTP backend: started on a free loopback port, its URL read from its stderr.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor, type ProcessTracker } from '../helpers/processes.js';
import { REPO } from '../supervisor/harness.js';

export const DUAL_FIXTURE = join(REPO, 'test/fixtures/servers/conformance-dual.mjs');

/**
 * Starts the fixture over HTTP (tracked for cleanup) and resolves to its /mcp URL.
 * `--modern-only` in `extraArgs` makes it refuse the 2025 era.
 */
export async function startDualFixtureHttp(tracker: ProcessTracker, extraArgs: readonly string[] = []): Promise<string> {
  const backend = spawn(process.execPath, [DUAL_FIXTURE, 'http', '--port', '0', ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  tracker.track(backend.pid);
  let stderr = '';
  backend.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr)?.[1], {
    timeoutMs: 15_000,
    what: `the dual-era fixture to listen (stderr: ${stderr})`,
  });
}
