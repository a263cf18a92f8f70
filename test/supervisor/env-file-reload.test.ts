/**
 * The env file named by `manager.env_file` is watched with the config: editing it alone
 * reloads, and when the config names another env file, that one is watched instead.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { echoServer, runManager, tempDir } from './harness.js';

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const configText = (envFile: string) => `manager:\n  env_file: ${envFile}\nservers:\n${echoServer('a', { FIXTURE_VALUE: '${VALUE}' })}`;

describe('the env file', () => {
  it('an edit of the env file alone reloads; a newly named env file is watched instead', { timeout: 60_000 }, async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const config = join(tmp.dir, 'config.yaml');
    writeFileSync(join(tmp.dir, 'first.env'), 'VALUE=one\n', { mode: 0o600 });
    writeFileSync(join(tmp.dir, 'second.env'), 'VALUE=two\n', { mode: 0o600 });
    writeFileSync(config, configText('first.env'));
    const m = await runManager(config, join(tmp.dir, 'state'));
    cleanups.push(() => m.manager.stop());
    const first = await m.waitState('a', 'healthy');

    // the value changed: the server is restarted with it
    writeFileSync(join(tmp.dir, 'first.env'), 'VALUE=changed\n', { mode: 0o600 });
    const second = await m.waitState('a', (s) => s.state === 'healthy' && s.pid !== first.pid, 30_000);

    // the config now names second.env: edits of that one reload
    writeFileSync(config, configText('second.env'));
    const third = await m.waitState('a', (s) => s.state === 'healthy' && s.pid !== second.pid, 30_000);
    writeFileSync(join(tmp.dir, 'second.env'), 'VALUE=edited\n', { mode: 0o600 });
    const fourth = await m.waitState('a', (s) => s.state === 'healthy' && s.pid !== third.pid, 30_000);
    expect(fourth.pid).not.toBe(first.pid);
  });
});
