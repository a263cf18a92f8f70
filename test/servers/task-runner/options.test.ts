import { describe, expect, it } from 'vitest';
import { type OptionInputs, resolveOptions } from '../../../src/servers/task-runner/options.js';

const base: OptionInputs = { flags: {}, env: {}, home: '/home/u', findOnPath: () => null };

describe('resolveOptions', () => {
  it('base dir: --base-dir, then TASK_RUNNER_BASE_DIR, then $XDG_DATA_HOME, then ~/.local/share', () => {
    expect(resolveOptions({ ...base, flags: { baseDir: '/f' }, env: { TASK_RUNNER_BASE_DIR: '/e' } })).toMatchObject({
      baseDir: '/f',
      baseDirSource: 'flag',
    });
    expect(resolveOptions({ ...base, env: { TASK_RUNNER_BASE_DIR: '~/tasks', XDG_DATA_HOME: '/x' } })).toMatchObject({
      baseDir: '/home/u/tasks',
      baseDirSource: 'env',
    });
    expect(resolveOptions({ ...base, env: { XDG_DATA_HOME: '/x' } }).baseDir).toBe('/x/mcp-task-runner');
    expect(resolveOptions({ ...base, env: { XDG_DATA_HOME: 'relative' } }).baseDir).toBe('/home/u/.local/share/mcp-task-runner');
    expect(resolveOptions(base)).toMatchObject({ baseDir: '/home/u/.local/share/mcp-task-runner', baseDirSource: 'default' });
  });

  it('executor: --executor, then TASK_RUNNER_EXECUTOR, then claude -p when on PATH', () => {
    const withClaude = { ...base, findOnPath: (c: string) => (c === 'claude' ? '/bin/claude' : null) };
    expect(resolveOptions({ ...withClaude, flags: { executor: 'a b' }, env: { TASK_RUNNER_EXECUTOR: 'c' } }).executor).toEqual({
      argv: ['a', 'b'],
      source: 'flag',
    });
    expect(resolveOptions({ ...withClaude, env: { TASK_RUNNER_EXECUTOR: '["c", "d e"]' } }).executor).toEqual({
      argv: ['c', 'd e'],
      source: 'env',
    });
    expect(resolveOptions(withClaude).executor).toEqual({ argv: ['claude', '-p'], source: 'default' });
  });

  it('without claude on PATH, or with a malformed setting, explains how to configure an executor', () => {
    const none = resolveOptions(base).executor;
    expect(none.argv).toBeNull();
    expect('problem' in none && none.problem).toMatch(/`claude` is not on PATH; configure one with --executor .* or TASK_RUNNER_EXECUTOR/);
    const bad = resolveOptions({ ...base, env: { TASK_RUNNER_EXECUTOR: "'unterminated" } }).executor;
    expect('problem' in bad && bad.problem).toMatch(/^TASK_RUNNER_EXECUTOR is invalid: .*unterminated/);
  });

  it('kill grace from TASK_RUNNER_KILL_GRACE_MS, ignoring nonsense', () => {
    expect(resolveOptions({ ...base, env: { TASK_RUNNER_KILL_GRACE_MS: '150' } }).killGraceMs).toBe(150);
    expect(resolveOptions({ ...base, env: { TASK_RUNNER_KILL_GRACE_MS: 'soon' } }).killGraceMs).toBe(2000);
  });
});
