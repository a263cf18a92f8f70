import { describe, expect, it } from 'vitest';
import { stripJsonComments } from '../../src/config/jsonc.js';
import { formatPath } from '../../src/config/path.js';
import { detectServerType } from '../../src/config/server-type.js';
import { closest } from '../../src/config/suggest.js';

describe('stripJsonComments', () => {
  it('blanks comments and trailing commas, keeping every offset and strings intact', () => {
    const text = '{\n  // note\n  "a": "http://x // not a comment", /* b */\n  "c": [1, 2,],\n}';
    const out = stripJsonComments(text);
    expect(out).toHaveLength(text.length);
    expect(JSON.parse(out)).toEqual({ a: 'http://x // not a comment', c: [1, 2] });
    expect(out.split('\n')).toHaveLength(text.split('\n').length);
  });

  it('keeps escaped quotes inside strings', () => {
    expect(JSON.parse(stripJsonComments('{"a": "say \\"hi\\", // ok",}'))).toEqual({ a: 'say "hi", // ok' });
  });
});

describe('formatPath', () => {
  it('dots plain keys, brackets indices and quotes other keys', () => {
    expect(formatPath(['servers', 'github', 'args', 0])).toBe('servers.github.args[0]');
    expect(formatPath(['servers', 'my.server', 'env', 'A'])).toBe('servers["my.server"].env.A');
    expect(formatPath([])).toBe('');
  });
});

describe('detectServerType', () => {
  it.each([
    ['python3', 'python'],
    ['python3.12', 'python'],
    ['/usr/bin/python', 'python'],
    ['uvx', 'python'],
    ['npx', 'node'],
    ['node', 'node'],
    ['deno', 'node'],
    ['bash', 'shell'],
    ['./server.py', 'python'],
    ['./server.sh', 'shell'],
    ['./bin/server', 'binary'],
    ['mcp-server-thing', 'unknown'],
  ] as const)('%s → %s', (command, type) => {
    expect(detectServerType('stdio', command)).toBe(type);
  });

  it('is remote for every non-stdio connection', () => {
    expect(detectServerType('http', undefined)).toBe('remote');
  });
});

describe('closest', () => {
  it('suggests across case and separators, or within a small edit distance', () => {
    expect(closest('healthCheckInterval', ['health_check_interval', 'command'])).toBe('health_check_interval');
    expect(closest('comand', ['command', 'cwd'])).toBe('command');
    expect(closest('colour', ['command', 'cwd'])).toBeUndefined();
  });
});
