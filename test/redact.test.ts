import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED, clearSecrets, redact, redactArgs, registerSecrets } from '../src/redact.js';

afterEach(() => clearSecrets());

describe('redact', () => {
  it('hides user info and token query parameters of URLs', () => {
    const text = redact('connecting to https://alice:hunter22@example.com/mcp?access_token=abc123xyz&x=1');
    expect(text).not.toContain('hunter22');
    expect(text).not.toContain('abc123xyz');
    expect(text).toContain('example.com/mcp');
    expect(text).toContain('x=1');
  });

  it('hides values after credential flags, in a command line and in a JSON array', () => {
    const line = redact('started pid 12: node server.js --token=tok-very-secret --api-key sk-abcdefghijklmnop1234 --port 80');
    expect(line).not.toContain('tok-very-secret');
    expect(line).not.toContain('sk-abcdefghijklmnop1234');
    expect(line).toContain('--port 80');
    const json = redact(JSON.stringify({ args: ['--token', 'plainvalue99', '--verbose'] }));
    expect(json).not.toContain('plainvalue99');
    expect(JSON.parse(json)).toEqual({ args: ['--token', REDACTED, '--verbose'] });
    expect(redactArgs(['--password', 'pw-123456', 'x'])).toEqual(['--password', REDACTED, 'x']);
  });

  it('hides registered values wherever they appear, and keeps ordinary config values', () => {
    registerSecrets({ GITHUB_TOKEN: 'abcd1234', LOG_LEVEL: 'debug', DATA_DIR: '/var/lib/data', CUSTOM: 'Zq8xY2wV7uT6' });
    const text = redact('key abcd1234 and Zq8xY2wV7uT6 at level debug in /var/lib/data');
    expect(text).toBe(`key ${REDACTED} and ${REDACTED} at level debug in /var/lib/data`);
  });

  it('hides bearer tokens, assignments and well-known key shapes', () => {
    const text = redact('Authorization: Bearer abcdefghijk123 OPENAI_API_KEY=whatever-value ghp_abcdefghijklmnopqrstuvwxyz012345');
    expect(text).not.toMatch(/abcdefghijk123|whatever-value|ghp_/);
  });

  it('leaves JSON valid and numbers alone', () => {
    const doc = JSON.stringify({ maxTokens: 1000, url: 'http://u:p4ssw0rd@h/x', note: 'fine' });
    const clean = redact(doc);
    expect(JSON.parse(clean)).toEqual({ maxTokens: 1000, url: `http://${REDACTED}@h/x`, note: 'fine' });
  });
});

describe('redact on long lines', () => {
  it('leaves a line of one long token as it is, and still finds credentials after it', () => {
    for (const token of ['a'.repeat(65_536), 'ab-'.repeat(20_000), 'TOKEN'.repeat(10_000), 'x.y'.repeat(20_000)]) {
      expect(redact(token)).toBe(token);
      const line = `${token} https://alice:pw-123456@example.com/ MY_API_TOKEN=abcdef123 ${token}`;
      expect(redact(line)).toBe(`${token} https://${REDACTED}@example.com/ MY_API_TOKEN=${REDACTED} ${token}`);
    }
  });

  it('finds user info after a long scheme-like run and a long variable name', () => {
    expect(redact(`${'a'.repeat(100)}+https://u:p4ss@h/`)).toBe(`${'a'.repeat(100)}+https://${REDACTED}@h/`);
    expect(redact(`${'B'.repeat(60)}_TOKEN=value-123`)).toBe(`${'B'.repeat(60)}_TOKEN=${REDACTED}`);
  });
});
