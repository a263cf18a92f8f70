/**
 * WebSocket backends (subprotocol mcp) against the remote-ws fixture on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/processes.js';
import { RemoteRun, closedPort, textOf, within } from './harness.js';

let run = new RemoteRun();
afterEach(async () => {
  await run.cleanup();
  run = new RemoteRun();
});

describe('WebSocket', () => {
  it('serves tool calls, with the configured headers on the upgrade', async () => {
    const backend = await run.backend('remote-ws.mjs');
    const transport = run.transport('websocket', backend.url, { Authorization: 'Bearer ws' });
    const client = await run.client(transport);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'over ws' } }))).toBe('over ws');
    expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe('Bearer ws');
    expect(backend.lines).toContain('connection /mcp authorization=Bearer ws');
    expect(transport.pid).toBeNull();
    expect(transport.running).toBe(true);
  });

  it('a frame that is not JSON is reported and the connection goes on', async () => {
    const backend = await run.backend('remote-ws.mjs');
    const transport = run.transport('websocket', backend.url);
    const client = await run.client(transport);
    const errors: string[] = [];
    client.onerror = (error) => errors.push(error.message);
    expect(textOf(await client.callTool({ name: 'garbage', arguments: {} }))).toBe('after garbage');
    expect(errors).toEqual([expect.stringMatching(/ws:\/\/127\.0\.0\.1:\d+\/mcp: frame is not JSON: "this is not json"/)]);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'fine' } }))).toBe('fine');
    expect(transport.running).toBe(true);
  });

  it('the backend going away resolves exited with the reason', async () => {
    const backend = await run.backend('remote-ws.mjs');
    const transport = run.transport('websocket', backend.url);
    const client = await run.client(transport);
    await backend.kill();
    const exit = await within(transport.exited, 10_000, 'exited after the kill');
    expect(exit).toMatchObject({ exitCode: null, signal: null });
    expect(exit.stderrTail.at(-1)).toMatch(/ws:\/\/127\.0\.0\.1:\d+\/mcp: connection closed by the server \(code 1006\)/);
    await expect(client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow();
  });

  it('close() closes the socket and resolves exited', async () => {
    const backend = await run.backend('remote-ws.mjs');
    const transport = run.transport('websocket', backend.url);
    await run.client(transport);
    await transport.close();
    await within(transport.exited, 5_000, 'exited after close');
    expect(transport.running).toBe(false);
  });

  it('connection refused and an HTTP page instead of an upgrade are clear errors', async () => {
    const port = await closedPort();
    await expect(run.client(run.transport('websocket', `ws://127.0.0.1:${port}/mcp`, {}, 'live'))).rejects.toThrow(
      `server "live": ws://127.0.0.1:${port}/mcp: connection refused`,
    );
    const web = await run.backend('remote-http.mjs', ['--html']);
    const wsUrl = web.url.replace(/^http:/, 'ws:');
    await expect(run.client(run.transport('websocket', wsUrl, {}, 'live'))).rejects.toThrow(
      `server "live": ${wsUrl} answered HTML (status 200), not MCP`,
    );
    const plain = await run.backend('remote-http.mjs');
    const plainWs = plain.url.replace(/^http:/, 'ws:');
    await expect(run.client(run.transport('websocket', plainWs, {}, 'live'))).rejects.toThrow(
      `server "live": ${plainWs} answered HTTP 400 instead of a WebSocket upgrade`,
    );
    await waitFor(() => plain.lines.some((l) => l.startsWith('request GET /mcp')), { what: 'the upgrade request' });
  });
});
