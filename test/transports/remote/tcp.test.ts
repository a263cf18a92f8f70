/**
 * Plain TCP backends (newline-delimited JSON-RPC) against the remote-tcp fixture on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManagerError } from '../../../src/errors.js';
import { RemoteRun, closedPort, textOf, within } from './harness.js';

let run = new RemoteRun();
afterEach(async () => {
  await run.cleanup();
  run = new RemoteRun();
});

describe('TCP', () => {
  it('serves tool calls', async () => {
    const backend = await run.backend('remote-tcp.mjs');
    const transport = run.transport('tcp', backend.url);
    const client = await run.client(transport);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'over tcp' } }))).toBe('over tcp');
    expect(textOf(await client.callTool({ name: 'pid', arguments: {} }))).toBe(String(backend.pid));
    expect(transport.pid).toBeNull();
    expect(transport.running).toBe(true);
  });

  it('garbage lines are reported and the next line is read', async () => {
    const backend = await run.backend('remote-tcp.mjs');
    const transport = run.transport('tcp', backend.url);
    const client = await run.client(transport);
    const errors: string[] = [];
    client.onerror = (error) => errors.push(error.message);
    expect(textOf(await client.callTool({ name: 'garbage', arguments: {} }))).toBe('after garbage');
    expect(errors).toEqual([
      expect.stringMatching(/tcp:\/\/127\.0\.0\.1:\d+: line is not JSON: "this is not json"/),
      expect.stringMatching(/line is not a JSON-RPC message: "\{\\"valid\\":\\"json\\",\\"but\\":\\"not json-rpc\\"\}"/),
    ]);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'fine' } }))).toBe('fine');
  });

  it('the backend going away resolves exited with the reason', async () => {
    const backend = await run.backend('remote-tcp.mjs');
    const transport = run.transport('tcp', backend.url);
    await run.client(transport);
    await backend.kill();
    const exit = await within(transport.exited, 10_000, 'exited after the kill');
    expect(exit.stderrTail.at(-1)).toMatch(
      /tcp:\/\/127\.0\.0\.1:\d+: (connection closed by the server|connection lost: connection reset)$/,
    );
    expect(transport.running).toBe(false);
  });

  it('connection refused is a clear error; a URL without a port is refused before connecting', async () => {
    const port = await closedPort();
    const refused = run.transport('tcp', `tcp://127.0.0.1:${port}`, {}, 'raw');
    await expect(run.client(refused)).rejects.toThrow(`server "raw": tcp://127.0.0.1:${port}: connection refused`);
    expect((await within(refused.exited, 5_000, 'exited')).stderrTail).toContain(`tcp://127.0.0.1:${port}: connection refused`);

    const portless = run.transport('tcp', 'tcp://127.0.0.1', {}, 'raw');
    await expect(run.client(portless)).rejects.toSatisfy(
      (e: unknown) => ManagerError.is(e) && e.code === 'CONFIG_INVALID' && /needs a port/.test(e.message),
    );
  });
});
