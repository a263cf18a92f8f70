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
