import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe as group, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { readConfigIsolated } from '../../src/config/read-isolated.js';
import { deepEqual, diffConfigs as diffWith } from '../../src/discovery/diff.js';
import { specOf } from '../../src/supervisor/spec.js';
import { tempDir, writeFile } from './helpers.js';

const FILE = '/etc/mcp/mcp-manager.yaml';
const diffConfigs = (before: Config, after: Config) => diffWith(before, after, specOf);
function load(text: string, file = FILE): Config {
  const result = parseConfigText(text, file, { env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

const BEFORE = `manager:
  log_level: info
servers:
  keep:
    command: node
    args: [keep.mjs]
    env: { A: "1", B: "2" }
    startup_timeout: 30
  edit:
    command: node
    args: [edit.mjs]
  drop:
    command: node
`;

group('diffConfigs', () => {
  it('sorts servers into added, removed, changed and unchanged', () => {
    const after = load(`manager:
  log_level: info
servers:
  new:
    command: python3
  edit:
    command: node
    args: [edit.mjs, --verbose]
  keep:
    startup_timeout: "30s"
    env: { B: "2", A: "1" }
    args: [keep.mjs]
    command: node
`);
    expect(diffConfigs(load(BEFORE), after)).toEqual({
      added: ['new'],
      removed: ['drop'],
      changed: ['edit'],
      replaced: ['edit'],
      unchanged: ['keep'],
      managerChanged: false,
    });
  });

  it('replaces only servers whose launch spec changed; other changes apply in place', () => {
    const base = load('servers:\n  a:\n    command: node\n  b:\n    command: node\n');
    const after = load(
      'servers:\n  a:\n    command: node\n    prefix: x\n    description: now described\n  b:\n    command: node\n    args: [--new]\n',
    );
    expect(diffConfigs(base, after)).toMatchObject({ changed: ['a', 'b'], replaced: ['b'] });
  });

  it('sees a change anywhere in a server: a default made explicit with another value, a nested backoff field, an env value', () => {
    const base = load('servers:\n  a:\n    command: node\n    env: { X: "1" }\n');
    expect(diffConfigs(base, load('servers:\n  a:\n    command: node\n    env: { X: "1" }\n    restart: permanent\n')).changed).toEqual([]); // the default, written out
    expect(diffConfigs(base, load('servers:\n  a:\n    command: node\n    env: { X: "1" }\n    restart: transient\n')).changed).toEqual([
      'a',
    ]);
    expect(
      diffConfigs(base, load('servers:\n  a:\n    command: node\n    env: { X: "1" }\n    backoff: { jitter: 0.5 }\n')).changed,
    ).toEqual(['a']);
    expect(diffConfigs(base, load('servers:\n  a:\n    command: node\n    env: { X: "2" }\n')).changed).toEqual(['a']);
  });

  it('reports a changed manager section', () => {
    const after = load(BEFORE.replace('log_level: info', 'log_level: debug'));
    expect(diffConfigs(load(BEFORE), after)).toMatchObject({ changed: [], managerChanged: true });
  });

  it('compares deeply, ignoring key order and undefined keys', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: [] }, { a: {} })).toBe(false);
    expect(deepEqual({ a: null }, { a: undefined })).toBe(false);
  });
});

group('readConfigIsolated (the one reader, off the main thread)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  function dir() {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  }

  it('returns the config, which diffs against the last good one', async () => {
    const file = writeFile(path.join(dir(), 'mcp-manager.yaml'), BEFORE.replace('[edit.mjs]', '[edit2.mjs]'));
    // same file: relative paths (cwd) resolve alike, so only the edit counts
    const lastGood = load(BEFORE, file);
    const result = await readConfigIsolated(file, { env: {} });
    expect(result).toMatchObject({ ok: true, warnings: [] });
    if (!result.ok) return;
    expect(result.config.file).toBe(file);
    expect(diffConfigs(lastGood, result.config)).toMatchObject({ added: [], removed: [], changed: ['edit'], unchanged: ['keep', 'drop'] });
  });

  it('returns every issue of an invalid edit with its line, and never throws', async () => {
    const d = dir();
    const file = writeFile(path.join(d, 'bad.yaml'), 'servers:\n  a:\n    command: node\n    replicas: 0\n  b:\n    url: 5\n');
    const result = await readConfigIsolated(file, { env: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual(['4:15 servers.a.replicas', '6:10 servers.b.url']);
    }
    expect(await readConfigIsolated(path.join(d, 'gone.yaml'), { env: {} })).toEqual({
      ok: false,
      missing: true,
      issues: [{ file: path.join(d, 'gone.yaml'), path: '', message: 'file not found' }],
    });
    mkdirSync(path.join(d, 'a-dir.yaml'));
    expect(await readConfigIsolated(path.join(d, 'a-dir.yaml'), { env: {} })).toMatchObject({
      ok: false,
      issues: [{ message: 'is a directory, expected a config file' }],
    });
    writeFileSync(path.join(d, 'bin.yaml'), Buffer.from([0, 1, 2, 3]));
    expect(await readConfigIsolated(path.join(d, 'bin.yaml'), { env: {} })).toMatchObject({
      ok: false,
      issues: [{ message: 'binary data (contains NUL bytes), not a text config file' }],
    });
  });

  it('gives up on a parse that passes its deadline, naming the file', async () => {
    const file = writeFile(path.join(dir(), 'slow.yaml'), BEFORE);
    // a deadline no parse can meet: the thread is ended and the file reported
    const result = await readConfigIsolated(file, { env: {}, deadlineMs: 1 });
    expect(result).toEqual({
      ok: false,
      issues: [{ file, path: '', message: 'reading and checking the file took longer than 0.001 s: not loaded' }],
    });
  });
});
