/**
 * The reloader on its own (a config file and a stand-in for the running config): reloads
 * never overlap, a request made during one is answered by a read after the request (and told
 * what the one it arrived during applied), and
 * `since` reports what was applied after a generation even when another reload (the config
 * watch) applied it first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { ReloadReport } from '../../src/control/types.js';
import { silentLogger } from '../../src/logger.js';
import { createReloader } from '../../src/supervisor/reload.js';

const servers = (...names: string[]) => `servers:\n${names.map((n) => `  ${n}:\n    command: node\n`).join('')}`;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(initial: string) {
  dir = mkdtempSync(join(tmpdir(), 'mm-reloader-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, initial);
  const loaded = parseConfigText(initial, file, { env: {} });
  if (!loaded.ok) throw new Error('fixture config must load');
  let running: Config = loaded.config;
  let hook: (() => void) | undefined;
  const apply = (next: Config) => {
    running = next;
    const once = hook;
    hook = undefined;
    once?.();
  };
  const reload = createReloader(file, {}, { current: () => running, apply }, silentLogger());
  return { file, reload, names: () => running.servers.map((s) => s.name), onApply: (f: () => void) => (hook = f) };
}

describe('createReloader', () => {
  it('reports to whoever made an edit what was applied since, though another reload applied it first', async () => {
    const { file, reload, names } = setup(servers('a', 'b'));
    const before = reload.generation();
    writeFileSync(file, servers('a', 'c'));
    // the watch wins the race
    expect(await reload()).toEqual({ ok: true, added: ['c'], removed: ['b'], changed: [] });
    expect(reload.generation()).toBe(before + 1);
    // the editor's own request finds nothing left to do, and is told what its edit did
    expect(await reload()).toEqual({ ok: true, added: [], removed: [], changed: [] });
    expect(await reload({ since: before })).toEqual({ ok: true, added: ['c'], removed: ['b'], changed: [] });
    expect(names()).toEqual(['a', 'c']);
    expect(reload.generation()).toBe(before + 1);
  });

  it('folds the generations since: a server added then removed again is in neither list', async () => {
    const { file, reload } = setup(servers('a'));
    const before = reload.generation();
    writeFileSync(file, servers('a', 'b'));
    await reload();
    writeFileSync(file, servers('b'));
    await reload();
    writeFileSync(file, servers('c'));
    expect(await reload({ since: before })).toEqual({ ok: true, added: ['c'], removed: ['a'], changed: [] });
  });

  it('answers a request made during a reload with a read made after the request', async () => {
    const { file, reload, names, onApply } = setup(servers('a'));
    let during: Promise<ReloadReport> | undefined;
    // while the first reload applies what it read, the file is edited again and a reload requested
    onApply(() => {
      writeFileSync(file, servers('a', 'b', 'c'));
      during = reload();
    });
    writeFileSync(file, servers('a', 'b'));
    expect(await reload()).toEqual({ ok: true, added: ['b'], removed: [], changed: [] });
    // told what the reload it arrived during applied too (that may have been its own edit)
    expect(await during).toEqual({ ok: true, added: ['b', 'c'], removed: [], changed: [] });
    expect(names()).toEqual(['a', 'b', 'c']);
  });
});
