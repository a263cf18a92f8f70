import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../../src/servers/task-runner/split-command.js';

describe('splitCommand', () => {
  it('splits words on whitespace without a shell', () => {
    expect(splitCommand('  claude   -p\t--verbose ')).toEqual(['claude', '-p', '--verbose']);
    expect(splitCommand('echo $HOME *.md ~ ;rm')).toEqual(['echo', '$HOME', '*.md', '~', ';rm']);
  });

  it('honours single quotes, double quotes and backslashes', () => {
    expect(splitCommand(`run 'a b' "c \\"d\\" \\\\" e\\ f ''`)).toEqual(['run', 'a b', 'c "d" \\', 'e f', '']);
    expect(splitCommand(`x'y z'w`)).toEqual(['xy zw']);
  });

  it('accepts a JSON array', () => {
    expect(splitCommand('["/usr/bin/node", "script with space.mjs", "--x"]')).toEqual(['/usr/bin/node', 'script with space.mjs', '--x']);
  });

  it('rejects empty commands, unterminated quotes and bad JSON arrays', () => {
    expect(() => splitCommand('   ')).toThrow(/empty/);
    expect(() => splitCommand(`claude 'oops`)).toThrow(/unterminated ' quote/);
    expect(() => splitCommand('[]')).toThrow(/non-empty array/);
    expect(() => splitCommand('["ok", 3]')).toThrow(/item 1/);
    expect(() => splitCommand('[not json')).toThrow(/does not parse/);
  });
});
