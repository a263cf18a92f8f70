/**
 * The stdio endpoint's write path: every message of one event-loop turn goes out in one
 * write, in order, each on its own line; a backed-up stdout holds senders until it drains.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StdioEndpointTransport } from '../../src/gateway/stdio-endpoint.js';
import { silentLogger } from '../../src/logger.js';

class Recorder extends Writable {
  readonly writes: string[] = [];
  constructor(highWaterMark = 1 << 20) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writes.push(chunk.toString('utf8'));
    callback();
  }
}

const endpoint = (stdout: Writable) => new StdioEndpointTransport({ stdin: new PassThrough(), stdout, logger: silentLogger() });

describe('StdioEndpointTransport writes', () => {
  it('sends the messages of one turn in one write, one line each, in order', async () => {
    const stdout = new Recorder();
    const t = endpoint(stdout);
    await t.start();
    const sent = [1, 2, 3].map((id) => t.send({ jsonrpc: '2.0', id, result: {} }));
    await Promise.all(sent);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stdout.writes).toHaveLength(1);
    expect(stdout.writes[0]!.split('\n')).toEqual([1, 2, 3].map((id) => JSON.stringify({ jsonrpc: '2.0', id, result: {} })).concat(''));
    // the next turn is the next write
    await t.send({ jsonrpc: '2.0', id: 4, result: {} });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stdout.writes).toHaveLength(2);
    await t.close();
  });

  it('holds senders while stdout is backed up and lets them go once it drains', async () => {
    let release: (() => void) | undefined;
    let open = false;
    const stdout = new Writable({
      highWaterMark: 16,
      write(_chunk, _encoding, callback) {
        if (open) callback();
        else release = () => callback();
      },
    });
    const t = endpoint(stdout);
    await t.start();
    await t.send({ jsonrpc: '2.0', id: 1, result: { text: 'more than sixteen bytes' } });
    await new Promise((resolve) => setImmediate(resolve));
    let done = false;
    const held = t.send({ jsonrpc: '2.0', id: 2, result: {} }).then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    open = true;
    release!();
    await held;
    expect(done).toBe(true);
    await t.close();
  });
});

describe('StdioEndpointTransport reads', () => {
  /** An endpoint on its own stdin, with what it delivers and what it answers. */
  async function reading() {
    const stdin = new PassThrough();
    const stdout = new Recorder();
    const t = new StdioEndpointTransport({ stdin, stdout, logger: silentLogger() });
    const delivered: unknown[] = [];
    t.onmessage = (message) => delivered.push(message);
    await t.start();
    const answers = () =>
      stdout.writes
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { id: unknown; error?: { code: number; message: string } });
    return { t, stdin, delivered, answers };
  }

  it('answers a line nested 600,000 deep with the place it passed the bound, without parsing the deep part', async () => {
    const { t, stdin, delivered, answers } = await reading();
    // past the bound the text is not even JSON: only a cut before parsing gives a nesting error
    const deep = `${'['.repeat(600_000)}1,,x${']'.repeat(600_000)}`;
    stdin.write(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":${deep}}}}\n`);
    stdin.write(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([{ jsonrpc: '2.0', id: 2, method: 'tools/list' }]);
    const [answer] = answers();
    expect(answer).toMatchObject({ id: 1, error: { code: -32602 } });
    expect(answer!.error!.message).toMatch(/nested deeper than 128 levels at params\.arguments\.a\[0\]\[0\].*…/);
    await t.close();
  });

  it('delivers long shallow lines as they are, brackets inside strings included', async () => {
    const { t, stdin, delivered, answers } = await reading();
    const text = `${'[{'.repeat(5_000)}"\\"[`;
    const nested = JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`) as unknown;
    const message = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'x', arguments: { text, nested } } };
    stdin.write(`${JSON.stringify(message)}\n`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([message]);
    expect(answers()).toEqual([]);
    await t.close();
  });
});
