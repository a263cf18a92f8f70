import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { HISTORY_LIMIT, StateFileSchema, openDesiredState, stateFileOf } from '../../src/state/desired-state.js';
import { shortTempDir } from '../control/helpers.js';

describe('the desired-state store', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
  });
  afterEach(() => cleanup());

  it('round-trips overrides, a bounded history and upstream facts through the file', async () => {
    const store = await openDesiredState(dir, silentLogger());
    expect(store.loaded).toBe('missing');
    store.setOverride('a', 'stopped');
    store.setOverride('b', 'running', 'ui');
    for (let i = 0; i < HISTORY_LIMIT + 7; i++) store.record('a', { kind: 'exit', instance: 'a', exitCode: i, signal: null, reason: null });
    store.setUpstream('a', 'era', { verdict: 'modern', at: '2026-01-01T00:00:00Z' });
    await store.flush();

    const file = StateFileSchema.parse(JSON.parse(readFileSync(stateFileOf(dir), 'utf8')));
    expect(file.version).toBe(1);
    expect(file.servers.a?.history).toHaveLength(HISTORY_LIMIT);
    expect(file.servers.a?.history[0]?.exitCode).toBe(7); // the oldest went first

    const again = await openDesiredState(dir, silentLogger());
    expect(again.loaded).toBe('ok');
    expect(again.overrides()).toEqual({ a: 'stopped', b: 'running' });
    expect(again.overrideOf('b')?.via).toBe('ui');
    expect(again.upstream('a', 'era')).toEqual({ verdict: 'modern', at: '2026-01-01T00:00:00Z' });
    again.setOverride('a', null);
    again.retain(['a']);
    await again.flush();
    expect(JSON.parse(readFileSync(stateFileOf(dir), 'utf8'))).toMatchObject({ servers: { a: { history: expect.any(Array) as unknown } } });
    expect((await openDesiredState(dir, silentLogger())).overrides()).toEqual({});
    expect(readdirSync(dir).filter((f) => f !== 'state.json')).toEqual([]); // no temp files left
  });

  it('sets a file that fails the schema aside and starts empty', async () => {
    writeFileSync(stateFileOf(dir), JSON.stringify({ version: 1, updatedAt: 'x', servers: { a: { history: 'nope' } } }));
    const store = await openDesiredState(dir, silentLogger());
    expect(store.loaded).toBe('corrupt');
    expect(store.problem).toMatch(/servers\.a\.history/);
    expect(store.overrides()).toEqual({});
    expect(readdirSync(dir).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
  });
});
