import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assignPublicNames, isValidPublicName, PUBLIC_NAME_PATTERN } from '../../src/gateway/names.js';
import type { NameRequest, NamingResult } from '../../src/gateway/names.js';

const publicNames = (result: NamingResult): string[] => result.assignments.map((assignment) => assignment.publicName);

function publicNameOf(result: NamingResult, server: string, name: string): string | undefined {
  return result.assignments.find((assignment) => assignment.server === server && assignment.name === name)?.publicName;
}

function expectAllValid(result: NamingResult): void {
  for (const name of publicNames(result)) expect(name).toMatch(PUBLIC_NAME_PATTERN);
  expect(result.byPublic.size).toBe(result.assignments.length);
}

/** Every ordering of a small list. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

const sha8 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);

describe('assignPublicNames', () => {
  it('prefixes with the server name and __ by default', () => {
    const result = assignPublicNames([
      { server: 'github', name: 'create_issue' },
      { server: 'memory', name: 'read_graph' },
    ]);
    expect(publicNames(result)).toEqual(['github__create_issue', 'memory__read_graph']);
    expect(result.warnings).toEqual([]);
    expect(result.byPublic.get('github__create_issue')).toEqual({
      server: 'github',
      name: 'create_issue',
      publicName: 'github__create_issue',
    });
  });

  it('uses a prefix override and a custom separator', () => {
    const result = assignPublicNames([{ server: 'github', prefix: 'gh', name: 'search' }], { separator: '-' });
    expect(publicNames(result)).toEqual(['gh-search']);
  });

  it('publishes the original name alone when the prefix is empty', () => {
    const result = assignPublicNames([{ server: 'github', prefix: '', name: 'create_issue' }]);
    expect(publicNames(result)).toEqual(['create_issue']);
  });

  it('replaces characters outside [a-zA-Z0-9_-] with _, one per character', () => {
    const result = assignPublicNames([
      { server: 'my.server', name: 'read file' },
      { server: 'x', prefix: '', name: 'tool/v2:ä🙂' },
    ]);
    expect(publicNames(result)).toEqual(['my_server__read_file', 'tool_v2___']);
    expectAllValid(result);
  });

  it('shortens a 70-character name to at most 64, keeping a head and a hash of the full name', () => {
    const name = 'a'.repeat(62) + 'bcdefghi'; // 70 characters
    const result = assignPublicNames([{ server: 'srv', name }]);
    const [publicName] = publicNames(result);
    expect(publicName).toHaveLength(64);
    expect(publicName).toBe(`${`srv__${name}`.slice(0, 55)}_${sha8(`srv__${name}`)}`);
    expect(publicName!.startsWith('srv__aaaa')).toBe(true);
    expectAllValid(result);
  });

  it('shortens deterministically across calls and input orders, keeping long names distinct', () => {
    const long = (tail: string): string => 'x'.repeat(66) + tail; // differ only past the cut
    const requests: NameRequest[] = [
      { server: 'alpha', name: long('one') },
      { server: 'alpha', name: long('two') },
      { server: 'beta', name: long('one') },
      { server: 'beta', prefix: '', name: 'short' },
    ];
    const expected = assignPublicNames(requests);
    expect(new Set(publicNames(expected)).size).toBe(4);
    expect(expected.warnings).toEqual([]);
    expectAllValid(expected);
    for (const order of permutations(requests)) {
      const result = assignPublicNames(order);
      expect(result.assignments).toEqual(expected.assignments);
      expect(result.warnings).toEqual(expected.warnings);
    }
  });

  it('gives colliding names distinct public names and a warning, whatever the order', () => {
    const requests: NameRequest[] = [
      { server: 'beta', prefix: '', name: 'search' },
      { server: 'alpha', prefix: '', name: 'search' },
    ];
    for (const order of permutations(requests)) {
      const result = assignPublicNames(order, { kind: 'tool' });
      expect(publicNameOf(result, 'alpha', 'search')).toBe('search');
      expect(publicNameOf(result, 'beta', 'search')).toBe('search_2');
      expect(result.warnings).toEqual([
        'tool collision: "search" of server "beta" is published as "search_2" because "search" is "search" of server "alpha"',
      ]);
      expectAllValid(result);
    }
  });

  it('numbers further collisions in (server, name) order', () => {
    const result = assignPublicNames(['c', 'a', 'b'].map((server) => ({ server, prefix: '', name: 'run' })));
    expect(result.assignments.map(({ server, publicName }) => [server, publicName])).toEqual([
      ['a', 'run'],
      ['b', 'run_2'],
      ['c', 'run_3'],
    ]);
    expect(result.warnings).toHaveLength(2);
  });

  it('never renames onto a name another request has as it stands', () => {
    // "run_2" is b's own name: a rename of the second "run" must skip it.
    const requests: NameRequest[] = [
      { server: 'a', prefix: '', name: 'run' },
      { server: 'a2', prefix: '', name: 'run' },
      { server: 'b', prefix: '', name: 'run_2' },
    ];
    for (const order of permutations(requests)) {
      const result = assignPublicNames(order);
      expect(publicNameOf(result, 'b', 'run_2')).toBe('run_2');
      expect(publicNameOf(result, 'a2', 'run')).toBe('run_3');
      expect(result.warnings).toHaveLength(1);
    }
  });

  it('treats names that become equal after replacing characters as a collision', () => {
    const result = assignPublicNames([
      { server: 's', name: 'read.file' },
      { server: 's', name: 'read file' },
    ]);
    expect(publicNames(result)).toEqual(['s__read_file', 's__read_file_2']);
    expect(result.warnings).toHaveLength(1);
  });

  it('renames shortened names that collide, staying within 64 characters', () => {
    const name = 'n'.repeat(70);
    const requests: NameRequest[] = [
      { server: 'one', prefix: 'shared', name },
      { server: 'two', prefix: 'shared', name },
      { server: 'three', prefix: 'shared', name },
    ];
    for (const order of permutations(requests)) {
      const result = assignPublicNames(order);
      const first = publicNameOf(result, 'one', name)!;
      expect(first).toHaveLength(64);
      expect(first.endsWith(`_${sha8(`shared__${name}`)}`)).toBe(true);
      expect(publicNameOf(result, 'three', name)).toBe(`${first.slice(0, 62)}_2`);
      expect(publicNameOf(result, 'two', name)).toBe(`${first.slice(0, 62)}_3`);
      expect(result.warnings).toHaveLength(2);
      expectAllValid(result);
    }
  });

  it('renames when a shortened name equals another server’s own name', () => {
    const name = 'q'.repeat(70);
    const shortened = publicNames(assignPublicNames([{ server: 'long', name }]))[0]!;
    const result = assignPublicNames([
      { server: 'long', name },
      { server: 'plain', prefix: '', name: shortened },
    ]);
    expect(publicNameOf(result, 'long', name)).toBe(shortened);
    expect(publicNameOf(result, 'plain', shortened)).toBe(`${shortened.slice(0, 62)}_2`);
    expect(result.warnings).toHaveLength(1);
    expectAllValid(result);
  });

  it('produces only valid names, for awkward inputs too', () => {
    const requests: NameRequest[] = [
      { server: '', name: '' },
      { server: 'x', prefix: '', name: '' },
      { server: 'ünïcødé server', name: '🙂'.repeat(80) },
      { server: 'p'.repeat(100), name: 't' },
      { server: 'sep', name: 'n' },
    ];
    const result = assignPublicNames(requests, { separator: '::' });
    expectAllValid(result);
    expect(publicNameOf(result, 'sep', 'n')).toBe('sep__n');
  });

  it('honours a smaller maxLength and rejects one outside 16..64', () => {
    const result = assignPublicNames([{ server: 'server', name: 'a_rather_long_tool_name' }], { maxLength: 20 });
    expect(publicNames(result)[0]).toHaveLength(20);
    expect(() => assignPublicNames([], { maxLength: 65 })).toThrow(RangeError);
    expect(() => assignPublicNames([], { maxLength: 8 })).toThrow(RangeError);
  });
});

describe('isValidPublicName', () => {
  it('accepts 1 to 64 characters of [a-zA-Z0-9_-]', () => {
    expect(isValidPublicName('a')).toBe(true);
    expect(isValidPublicName('github__create-issue_2')).toBe(true);
    expect(isValidPublicName('x'.repeat(64))).toBe(true);
    expect(isValidPublicName('')).toBe(false);
    expect(isValidPublicName('x'.repeat(65))).toBe(false);
    expect(isValidPublicName('a.b')).toBe(false);
    expect(isValidPublicName('a b')).toBe(false);
  });
});
