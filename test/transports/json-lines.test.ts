/**
 * The newline-delimited JSON-RPC reader used by the TCP transport.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { JsonLineReader } from '../../src/transports/json-lines.js';

function reader(maxLineBytes = 64) {
  const messages: JSONRPCMessage[] = [];
  const errors: string[] = [];
  const r = new JsonLineReader({
    maxLineBytes,
    where: 'tcp://h:1',
    onMessage: (m) => messages.push(m),
    onError: (e) => errors.push(e.message),
  });
  return { r, messages, errors };
}

const ping = (id: number) => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' })}\n`;

describe('JsonLineReader', () => {
  it('joins lines split across chunks and reads several lines from one chunk', () => {
    const { r, messages, errors } = reader();
    const text = ping(1) + ping(2);
    r.push(Buffer.from(text.slice(0, 10)));
    r.push(Buffer.from(text.slice(10)));
    expect(messages.map((m) => (m as { id: number }).id)).toEqual([1, 2]);
    expect(errors).toEqual([]);
  });

  it('reports garbage and blank-skips empty lines, then goes on', () => {
    const { r, messages, errors } = reader();
    r.push(Buffer.from(`not json\n\r\n\n{"a":1}\n${ping(3)}`));
    expect(errors).toEqual(['tcp://h:1: line is not JSON: "not json"', 'tcp://h:1: line is not a JSON-RPC message: "{\\"a\\":1}"']);
    expect(messages).toHaveLength(1);
  });

  it('discards a line longer than the limit, even when it arrives in pieces, and reads the next', () => {
    const { r, messages, errors } = reader(50);
    r.push(Buffer.from('x'.repeat(30)));
    r.push(Buffer.from('y'.repeat(30)));
    r.push(Buffer.from('z'.repeat(100)));
    r.push(Buffer.from(`tail\n${ping(4)}`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^tcp:\/\/h:1: line longer than 50 bytes discarded: "x{30}"$/);
    expect(messages.map((m) => (m as { id: number }).id)).toEqual([4]);
  });

  it('reads a long line that arrives in many small chunks, byte for byte, with a multi-byte character cut between chunks', () => {
    const { r, messages, errors } = reader(1024 * 1024);
    const text = 'é'.repeat(50_000);
    const line = Buffer.from(
      `${JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'x', arguments: { text } } })}\r\n`,
    );
    // 7-byte pieces: many cut a two-byte character in half
    for (let i = 0; i < line.length; i += 7) r.push(line.subarray(i, i + 7));
    expect(errors).toEqual([]);
    expect(messages).toHaveLength(1);
    expect((messages[0] as unknown as { params: { arguments: { text: string } } }).params.arguments.text).toBe(text);
  });

  it('checks the envelope as the protocol does: unknown top-level keys, a bad id or a bad error are not JSON-RPC', () => {
    const { r, messages, errors } = reader(1024);
    const lines = [
      { jsonrpc: '2.0', id: 1, method: 'ping', extra: true },
      { jsonrpc: '2.0', id: 1.5, method: 'ping' },
      { jsonrpc: '1.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'm' } },
      { jsonrpc: '2.0', id: 1, result: [] },
      [{ jsonrpc: '2.0', id: 1, method: 'ping' }],
      { jsonrpc: '2.0', id: 2, result: { anything: [1, { deep: true }] } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } },
    ];
    r.push(Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join('')));
    expect(errors).toHaveLength(6);
    for (const error of errors) expect(error).toMatch(/is not a JSON-RPC message/);
    // payloads are the receiver's: delivered as parsed, not copied through a schema
    expect(messages).toEqual([lines[6], lines[7]]);
  });
});
