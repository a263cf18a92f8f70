import { afterEach, describe, expect, it } from 'vitest';
import { McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { callTool, raw, rawSession, sseMessages, startHarness, waitFor, type Harness } from './harness.js';

let harness: Harness | undefined;

async function start(...args: Parameters<typeof startHarness>): Promise<Harness> {
  harness = await startHarness(...args);
  return harness;
}

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function textOf(result: unknown): string {
  const content = (result as { content: { type: string; text?: string }[] }).content;
  return content.map((part) => part.text ?? '').join('');
}

describe('HttpSessionTransport through the SDK client', () => {
  it('initializes, lists tools and calls a tool', async () => {
    const h = await start();
    const { client, transport } = await h.connect();

    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.getServerVersion()?.name).toBe('http-test-server');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo', 'progress', 'sample', 'slow']);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    expect(textOf(result)).toBe('hello');
    expect(h.gateway.sessionCount()).toBe(1);
  });

  it('streams progress notifications before the call result', async () => {
    const h = await start();
    const { client } = await h.connect();
    const events: string[] = [];

    const result = await client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, {
      onprogress: (progress) => events.push(`progress ${progress.progress}/${progress.total}`),
    });
    events.push(textOf(result));

    expect(events).toEqual(['progress 1/3', 'progress 2/3', 'progress 3/3', 'done after 3 steps']);
  });

  it('carries a sampling request to the client and its answer back, within the call', async () => {
    const h = await start();
    const { client } = await h.connect({ sample: (prompt) => `<${prompt}>` });

    const result = await client.callTool({ name: 'sample', arguments: { prompt: 'ping' } });

    expect(textOf(result)).toBe('sampled: <ping>');
  });

  it('delivers server-initiated messages on the standalone GET stream', async () => {
    const h = await start();
    const { client } = await h.connect();
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const transport = h.transports[0]!;
    await waitFor(() => transport.hasStandaloneStream, 'the client to open its GET stream');

    await h.servers[0]!.sendToolListChanged();

    await waitFor(() => changed === 1, 'tools/list_changed at the client');
  });

  it('keeps two sessions independent', async () => {
    const h = await start();
    const a = await h.connect();
    const b = await h.connect();
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    expect(h.gateway.sessionCount()).toBe(2);

    const [ra, rb] = await Promise.all([
      a.client.callTool({ name: 'echo', arguments: { text: 'from a' } }),
      b.client.callTool({ name: 'echo', arguments: { text: 'from b' } }),
    ]);
    expect([textOf(ra), textOf(rb)]).toEqual(['from a', 'from b']);

    const ended = a.transport.sessionId!;
    await a.transport.terminateSession();
    expect(h.gateway.sessionCount()).toBe(1);
    const late = await raw(h.gateway.port, { body: callTool(99, 'echo'), headers: { 'mcp-session-id': ended } });
    expect(late.status).toBe(404);
    expect(textOf(await b.client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe('still here');
  });

  it('answers a plain call with application/json, not SSE', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);

    const res = await raw(h.gateway.port, { body: callTool(1, 'echo', { text: 'json' }), headers: { 'mcp-session-id': session } });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['mcp-session-id']).toBe(session);
    expect(JSON.parse(res.text)).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'json' }] } });
  });

  it('switches a call to SSE when progress comes first: progress events, then the result, then the end', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);

    const res = await raw(h.gateway.port, {
      body: callTool(5, 'progress', { steps: 2 }, { progressToken: 'tok' }),
      headers: { 'mcp-session-id': session },
    });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.text.startsWith('event: message\ndata: ')).toBe(true);
    expect(sseMessages(res.text)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok', progress: 1, total: 2 } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok', progress: 2, total: 2 } },
      { jsonrpc: '2.0', id: 5, result: { content: [{ type: 'text', text: 'done after 2 steps' }] } },
    ]);
  });

  it('answers a batch with a JSON array once every request is answered', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);

    const res = await raw(h.gateway.port, {
      body: [
        callTool('a', 'echo', { text: 'one' }),
        { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
        callTool('b', 'echo', { text: 'two' }),
      ],
      headers: { 'mcp-session-id': session },
    });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const replies = (JSON.parse(res.text) as { id: string; result: unknown }[]).sort((x, y) => x.id.localeCompare(y.id));
    expect(replies.map((reply) => [reply.id, textOf(reply.result)])).toEqual([
      ['a', 'one'],
      ['b', 'two'],
    ]);
  });

  it('answers notifications and responses alone with 202 and no body', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);

    const res = await raw(h.gateway.port, {
      body: [
        { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
        { jsonrpc: '2.0', id: 999, result: {} },
      ],
      headers: { 'mcp-session-id': session },
    });

    expect(res.status).toBe(202);
    expect(res.text).toBe('');
  });

  it('refuses a request id that is already in flight in the session', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);
    const first = raw(h.gateway.port, { body: callTool(7, 'slow'), headers: { 'mcp-session-id': session } });
    await waitFor(() => h.slowCalls.length === 1, 'the slow call to start');

    const second = await raw(h.gateway.port, { body: callTool(7, 'echo'), headers: { 'mcp-session-id': session } });
    expect(second.status).toBe(400);
    expect(JSON.parse(second.text)).toMatchObject({ error: { code: -32600 } });

    h.slowCalls[0]!.release('first');
    expect(JSON.parse((await first).text)).toMatchObject({ id: 7, result: { content: [{ text: 'first' }] } });
  });

  it('ends the POST of a cancelled request without a response', async () => {
    const h = await start();
    const session = await rawSession(h.gateway.port);
    const call = raw(h.gateway.port, { body: callTool(11, 'slow'), headers: { 'mcp-session-id': session } });
    await waitFor(() => h.slowCalls.length === 1, 'the slow call to start');

    const cancel = await raw(h.gateway.port, {
      body: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 11, reason: 'test' } },
      headers: { 'mcp-session-id': session },
    });
    expect(cancel.status).toBe(202);

    const res = await call;
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.text).toBe('');
    await waitFor(() => h.slowCalls[0]!.signal.aborted, 'the handler to see the cancellation');
    expect(h.transports[0]!.pendingRequests).toBe(0);
  });

  it('survives a client that disconnects mid-call, and the session keeps working', async () => {
    const h = await start();
    const { client } = await h.connect();
    const transport = h.transports[0]!;
    let cut: (() => void) | undefined;
    const port = h.gateway.port;

    const doomed = raw(port, {
      body: callTool(1, 'slow'),
      headers: { 'mcp-session-id': transport.sessionId, 'mcp-protocol-version': '2025-06-18' },
      onRequest: (req) => (cut = () => req.destroy()),
    });
    const failed = doomed.then(
      () => 'answered',
      () => 'disconnected',
    );
    await waitFor(() => h.slowCalls.length === 1, 'the slow call to start');
    expect(transport.pendingRequests).toBe(1);

    cut!();
    expect(await failed).toBe('disconnected');
    await waitFor(() => transport.pendingRequests === 0, 'the transport to forget the abandoned request');
    h.slowCalls[0]!.release();
    await waitFor(() => h.slowCalls[0]!.finished, 'the abandoned handler to finish');

    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'after' } }))).toBe('after');
    expect((await raw(port, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('fails requests still in flight when the session is deleted', async () => {
    const h = await start();
    const { client, transport } = await h.connect();
    const outcome = client.callTool({ name: 'slow' }).then(
      () => 'answered',
      (error: unknown) => error,
    );
    await waitFor(() => h.slowCalls.length === 1, 'the slow call to start');

    await transport.terminateSession();

    const error = await outcome;
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).message).toMatch(/Session closed/);
    expect(h.gateway.sessionCount()).toBe(0);
  });
});
