import { describe, expect, it } from 'vitest';
import { MINIMAL_ENV_KEYS, buildChildEnv } from '../../src/transports/env.js';

const parentEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/me',
  USER: 'me',
  LANG: 'en_US.UTF-8',
  TZ: 'UTC',
  SECRET_TOKEN: 'hunter2',
  NODE_OPTIONS: '--inspect',
  BASH_FUNC_x: '() { echo hi; }',
};

describe('buildChildEnv', () => {
  it('without inheritEnv passes only the minimal base plus configured vars', () => {
    const env = buildChildEnv({ env: { API_URL: 'http://x' }, inheritEnv: false, parentEnv });
    expect(env).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/me',
      USER: 'me',
      LANG: 'en_US.UTF-8',
      TZ: 'UTC',
      API_URL: 'http://x',
    });
    expect(Object.keys(env).every((k) => (MINIMAL_ENV_KEYS as readonly string[]).includes(k) || k === 'API_URL')).toBe(true);
  });

  it('with inheritEnv passes the whole parent env', () => {
    const env = buildChildEnv({ env: {}, inheritEnv: true, parentEnv });
    expect(env.SECRET_TOKEN).toBe('hunter2');
    expect(env.NODE_OPTIONS).toBe('--inspect');
  });

  it('configured vars override inherited and base ones', () => {
    expect(buildChildEnv({ env: { PATH: '/opt/bin' }, inheritEnv: false, parentEnv }).PATH).toBe('/opt/bin');
    expect(buildChildEnv({ env: { HOME: '/srv' }, inheritEnv: true, parentEnv }).HOME).toBe('/srv');
  });

  it('skips unset parent vars and exported shell functions in the minimal base', () => {
    const env = buildChildEnv({ env: {}, inheritEnv: false, parentEnv: { PATH: '() { evil; }', HOME: undefined } });
    expect(env).toEqual({});
  });

  it('keeps an explicitly configured empty string', () => {
    expect(buildChildEnv({ env: { EMPTY: '' }, inheritEnv: false, parentEnv: {} })).toEqual({ EMPTY: '' });
  });

  it('reads process.env when no parent env is given', () => {
    const name = `MCP_MANAGER_ENV_TEST_${process.pid}`;
    process.env[name] = 'from-parent';
    try {
      expect(buildChildEnv({ env: {}, inheritEnv: true })[name]).toBe('from-parent');
      expect(buildChildEnv({ env: {}, inheritEnv: false })[name]).toBeUndefined();
    } finally {
      delete process.env[name];
    }
  });
});
