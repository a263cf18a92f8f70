import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followFile, readLastLines } from '../../src/state/log-tail.js';
import { shortTempDir, waitFor } from '../control/helpers.js';

describe('readLastLines', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
  });
  afterEach(() => cleanup());

  it('returns the last N lines and where they end', async () => {
    const file = join(dir, 'a.log');
    writeFileSync(file, 'one\ntwo\nthree\nfour\n');
    expect(await readLastLines(file, 2)).toEqual({ lines: ['three', 'four'], end: 19 });
    expect((await readLastLines(file, 10)).lines).toEqual(['one', 'two', 'three', 'four']);
    expect((await readLastLines(file, 0)).lines).toEqual([]);
  });

  it('keeps a last line without newline and strips CR', async () => {
    const file = join(dir, 'b.log');
    writeFileSync(file, 'one\r\ntwo\r\nthree');
    expect((await readLastLines(file, 2)).lines).toEqual(['two', 'three']);
  });

  it('reads across chunk boundaries, multi-byte characters included', async () => {
    const file = join(dir, 'c.log');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'é'.repeat(i % 50)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect((await readLastLines(file, 3000)).lines).toEqual(lines.slice(-3000));
  });

  it('reads only what was appended after `start`', async () => {
    const file = join(dir, 'd.log');
    writeFileSync(file, 'old 1\nold 2\n');
    const start = 'old 1\nold 2\n'.length;
    appendFileSync(file, 'new 1\nnew 2\n');
    expect((await readLastLines(file, 20, { start })).lines).toEqual(['new 1', 'new 2']);
  });

  it('rejects with ENOENT for a missing file', async () => {
    await expect(readLastLines(join(dir, 'missing.log'), 5)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('followFile', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
  });
  afterEach(() => cleanup());

  it('hands over complete appended lines until aborted, then again after truncation', async () => {
    const file = join(dir, 'f.log');
    writeFileSync(file, 'before\n');
    const seen: string[] = [];
    const stop = new AbortController();
    const done = followFile(file, { from: 7, signal: stop.signal, pollMs: 10, onLines: (l) => seen.push(...l) });

    appendFileSync(file, 'first\nsecond part');
    await waitFor(() => seen.length === 1, 'first line');
    expect(seen).toEqual(['first']);
    appendFileSync(file, ' done\n');
    await waitFor(() => seen.length === 2, 'completed second line');
    expect(seen).toEqual(['first', 'second part done']);

    writeFileSync(file, 'rotated\n');
    await waitFor(() => seen.length === 3, 'line after truncation');
    expect(seen[2]).toBe('rotated');

    stop.abort();
    await done; // resolves once aborted
  });
});
