/**
 * Health through the whole manager: a wedged server (alive, event loop blocked) is found
 * by its pings and restarted; `health` reports it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { isAlive } from '../helpers/processes.js';
import { REPO, runManager, tempDir, writeConfig } from './harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('health in the manager', () => {
  it('restarts a server whose event loop is wedged while the process lives', async () => {
    const fixture = join(REPO, 'test/fixtures/servers/health-wedge.mjs');
    const tmp = tempDir();
    const config = writeConfig(
      tmp.dir,
      [
        '  wedge:',
        `    command: ${process.execPath}`,
        `    args: ["${fixture}"]`,
        '    health_check_interval: 0.3',
        '    health_check_timeout: 0.25',
        '    stop_grace: 0.1',
        '    stop_timeout: 0.5',
        '    backoff: { initial: 0.05, jitter: 0 }',
        '    env:',
        '      FIXTURE_WEDGE_AFTER_MS: "700"',
        '',
      ].join('\n'),
    );
    const m = await runManager(config, join(tmp.dir, 'state'));
    cleanups.push(tmp.cleanup, () => m.manager.stop());
    const first = await m.waitState('wedge', 'healthy');
    const health = await m.control.health({ server: 'wedge' });
    expect(health.servers[0]).toMatchObject({ name: 'wedge', state: 'healthy' });
    // the first process wedges; two unanswered pings later it is restarted
    // (the reason shows while it restarts, until the new process has come up)
    const restarting = await m.waitState('wedge', (s) => s.restarts >= 1 && (s.error ?? '').includes('WEDGED'), 15_000);
    expect(restarting.error).toMatch(/ping timed out/);
    expect(isAlive(first.pid!)).toBe(false);
    const again = await m.waitState('wedge', (s) => s.state === 'healthy' && s.pid !== null && s.pid !== first.pid, 15_000);
    expect(again.restarts).toBeGreaterThanOrEqual(1);
  });
});
