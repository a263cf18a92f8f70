import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_DEPTH, excessiveNesting, pruneDeepJson } from '../../src/gateway/depth.js';

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const call = (args: string) => `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","arguments":${args}}}`;

describe('pruneDeepJson', () => {
  it('returns a document within the bound as it is', () => {
    for (const text of [
      call(nested(MAX_MESSAGE_DEPTH - 3)),
      `[${call(nested(MAX_MESSAGE_DEPTH - 4))}]`,
      '{"s":"{{{[[[\\"]]]}}}"}',
      '"just a string"',
      'not json {',
    ]) {
      expect(pruneDeepJson(text)).toBe(text);
    }
  });

  it('cuts deeper containers so the parsed value is shallow, and the nesting check finds the same place', () => {
    for (const text of [
      call(nested(10_000)),
      `[${call('{"b":1}')},${call(nested(5_000))}]`,
      call(`[${'['.repeat(400)}${']'.repeat(400)}]`),
    ]) {
      const pruned = pruneDeepJson(text);
      expect(pruned.length).toBeLessThan(text.length);
      expect(excessiveNesting(JSON.parse(pruned))).toBe(excessiveNesting(JSON.parse(text)));
      expect(excessiveNesting(JSON.parse(pruned))).not.toBeNull();
    }
  });

  it('skips strings whole, escaped quotes and backslashes included', () => {
    const text = call(`{"s":"\\\\\\"${'{'.repeat(300)}","t":${nested(200)}}`);
    const pruned = pruneDeepJson(text);
    const value = JSON.parse(pruned) as { params: { arguments: { s: string } } };
    expect(value.params.arguments.s).toBe(`\\"${'{'.repeat(300)}`);
    expect(excessiveNesting(value)).toBe(excessiveNesting(JSON.parse(text)));
  });
});
