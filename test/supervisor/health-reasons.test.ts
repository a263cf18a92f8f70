/**
 * `health` on the real manager: a real server made unhealthy shows why, in `health --json`
 * and in the human table's notes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.js';
import type { HealthSnapshot } from '../../src/control/types.js';
import { testContext } from '../cli/context.js';
import { echoServer, runManager, tempDir, writeConfig } from './harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

// a check that fails fast (sh, not node: its start-up must fit well inside the probe deadline)
const FAILING_CHECK = 'echo disk almost full >&2; exit 3';

describe('health reasons on the real manager', () => {
  it('a server whose health command fails goes degraded and health --json says why', async () => {
    const tmp = tempDir();
    const sick = echoServer(
      'sick',
      {},
      [
        'health_check_interval: 1',
        'health_down_after: 1',
        `health_command: { command: /bin/sh, args: ["-c", ${JSON.stringify(FAILING_CHECK)}] }`,
      ].join('\n'),
    );
    const config = writeConfig(tmp.dir, sick + echoServer('fine', {}, 'health_check_interval: 1'));
    const stateDir = join(tmp.dir, 'state');
    const m = await runManager(config, stateDir);
    cleanups.push(tmp.cleanup, () => m.manager.stop());
    await m.waitState('sick', 'degraded');
    await m.waitState('fine', 'healthy');

    const json = testContext(stateDir);
    expect(await runCli(['health', '--json'], json)).toBe(0);
    const snapshot = JSON.parse(json.stdout()) as HealthSnapshot;
    const entry = (name: string) => snapshot.servers.find((s) => s.name === name)!;
    expect(entry('sick').state).toMatch(/^(degraded|unhealthy|critical)$/);
    expect(entry('sick').reasons).toEqual([expect.stringMatching(/^command probe: .* exited with code 3: disk almost full$/)]);
    expect(entry('sick').lastProbe).toMatchObject({ kind: 'command', ok: false });
    expect(entry('fine')).toMatchObject({ state: 'healthy', reasons: [] });

    const human = testContext(stateDir);
    expect(await runCli(['health'], human)).toBe(0);
    const note = human
      .stdout()
      .split('\n')
      .find((line) => line.startsWith('sick: '));
    expect(note).toContain('disk almost full');
    expect(
      human
        .stdout()
        .split('\n')
        .some((line) => line.startsWith('fine: ')),
    ).toBe(false);
  });
});
