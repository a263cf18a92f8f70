import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe as group, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { deepEqual, diffConfigs } from '../../src/discovery/diff.js';
import { reloadConfig } from '../../src/discovery/reload.js';
import { tempDir, writeFile } from './helpers.js';

const FILE = '/etc/mcp/mcp-manager.yaml';
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
    expect(diffConfigs(load(BEFORE), after)).toEqual({ added: ['new'], removed: ['drop'], changed: ['edit'], unchanged: ['keep'], managerChanged: false });
  });

  it('sees a change anywhere in a server: a default made explicit with another value, a nested backoff field, an env value', () => {
    const base = load('servers:\n  a:\n    command: node\n    env: { X: "1" }\n');
    expect(diffConfigs(base, load('servers:\n  a:\n    command: node\n    env: { X: "1" }\n    restart: permanent\n')).changed).toEqual([]); // the default, written out
    expect(diffConfigs(base, load('servers:\n  a:\n    command: node\n    env: { X: "1" }\n    restart: transient\n')).changed).toEqual(['a']);
    expect(diffConfigs(base, load('servers:\n  a:\n    command: node\n    env: { X: "1" }\n    backoff: { jitter: 0.5 }\n')).changed).toEqual(['a']);
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

group('reloadConfig', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  function dir() {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  }

  it('returns the new config and the diff against the last good one', async () => {
    const file = writeFile(path.join(dir(), 'mcp-manager.yaml'), BEFORE.replace('[edit.mjs]', '[edit2.mjs]'));
    // same file: relative paths (cwd) resolve alike, so only the edit counts
    const lastGood = load(BEFORE, file);
    const result = await reloadConfig(file, lastGood, {});
    expect(result).toMatchObject({ ok: true, diff: { added: [], removed: [], changed: ['edit'], unchanged: ['keep', 'drop'] }, warnings: [] });
    if (result.ok) expect(result.config.file).toBe(file);
  });

  it('returns every issue of an invalid edit with its line, and never throws', async () => {
    const d = dir();
    const lastGood = load(BEFORE);
    const file = writeFile(path.join(d, 'bad.yaml'), 'servers:\n  a:\n    command: node\n    replicas: 0\n  b:\n    url: 5\n');
    const result = await reloadConfig(file, lastGood, {});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual(['4:15 servers.a.replicas', '6:10 servers.b.url']);
    }
    expect(await reloadConfig(path.join(d, 'gone.yaml'), lastGood, {})).toEqual({ ok: false, issues: [{ file: path.join(d, 'gone.yaml'), path: '', message: 'file not found' }] });
    mkdirSync(path.join(d, 'a-dir.yaml'));
    expect(await reloadConfig(path.join(d, 'a-dir.yaml'), lastGood, {})).toMatchObject({ ok: false, issues: [{ message: 'is a directory, expected a config file' }] });
    writeFileSync(path.join(d, 'bin.yaml'), Buffer.from([0, 1, 2, 3]));
    expect(await reloadConfig(path.join(d, 'bin.yaml'), lastGood, {})).toMatchObject({ ok: false, issues: [{ message: 'binary data (contains NUL bytes), not a text config file' }] });
  });
});
