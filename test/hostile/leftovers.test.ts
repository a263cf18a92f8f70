/**
 * What a killed predecessor leaves in the state dir does not lock the next manager out: a
 * `manager.pid` naming a live unrelated process is taken over (and the log says so), and the
 * temp files of atomic writes cut short are removed at start.
 */
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockFileOf } from '../../src/state/paths.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { echoServer, tempDir, writeConfig } from '../supervisor/harness.js';
import { endedAfterEach, healthz, startCliManager } from './harness.js';

const started = endedAfterEach();
/** The temp name write-file-atomic gives a file (so the test follows the library if it renames). */
const tempNameOf = (createRequire(import.meta.url)('write-file-atomic') as { _getTmpname: (file: string) => string })._getTmpname;

describe('a state dir left by a killed manager', () => {
  it(
    'a lock naming a live unrelated process is taken over and logged; temp files of cut writes are removed',
    { timeout: 60_000 },
    async () => {
      const tmp = tempDir();
      started.cleanup = tmp.cleanup;
      const stateDir = join(tmp.dir, 'state');
      mkdirSync(stateDir, { mode: 0o700 });
      // a live process that is not a manager (its start time is not the recorded one)
      const unrelated = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
      try {
        writeFileSync(lockFileOf(stateDir), `${unrelated.pid}\n1\n`, { mode: 0o600 });
        const cut = [
          tempNameOf(join(stateDir, 'state.json')),
          tempNameOf(join(stateDir, 'children.json')),
          `${lockFileOf(stateDir)}.999999999.abc.def.tmp`,
        ];
        for (const file of cut) writeFileSync(file, '{"half', { mode: 0o600 });
        // not ours: kept
        writeFileSync(join(stateDir, 'notes.json.1'), 'x', { mode: 0o600 });

        const m = (started.manager = await startCliManager({ config: writeConfig(tmp.dir, echoServer('echo')), stateDir, http: true }));
        await waitFor(async () => (await m.status()).servers[0]?.state === 'healthy', { timeoutMs: 20_000, what: 'echo healthy' });
        expect(await healthz(m.url!)).toBe(200);
        expect(m.log().some((l) => l.includes(`took over the stale lock of a previous manager (pid ${unrelated.pid})`))).toBe(true);
        expect(m.log().some((l) => /removed 3 temp file\(s\) of writes cut short/.test(l))).toBe(true);
        for (const file of cut) expect(existsSync(file)).toBe(false);
        expect(readdirSync(stateDir)).toContain('notes.json.1');
        expect(isAlive(unrelated.pid!)).toBe(true); // never touched

        const children = m.descendants();
        expect(await m.stop()).toBe(0);
        expect(children.filter(isAlive)).toEqual([]);
        expect(existsSync(lockFileOf(stateDir))).toBe(false);
      } finally {
        unrelated.kill('SIGKILL');
      }
    },
  );
});
