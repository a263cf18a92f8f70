import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALL_TIMEOUT_MS, createControlClient } from '../../src/control/client.js';
import { startControlServer, type ControlServer, type ControlServerOptions } from '../../src/control/server.js';
import type { CapabilitiesSnapshot, ControlHandlers, HealthSnapshot, ReloadReport } from '../../src/control/types.js';
import { silentLogger } from '../../src/logger.js';
import {
  CAPABILITIES,
  HEALTH,
  RELOAD_OK,
  RELOAD_REJECTED,
  fakeHandlers,
  fullHandlers,
  rawRequest,
  rejection,
  shortTempDir,
  waitFor,
} from './helpers.js';

let dir: string;
let cleanup: () => void;
let socketPath: string;
let server: ControlServer | undefined;

const start = async (
  handlers: ControlHandlers,
  options: Partial<Omit<ControlServerOptions, 'handlers' | 'socketPath' | 'logger'>> = {},
): Promise<void> => {
  server = await startControlServer({ socketPath, handlers, logger: silentLogger(), ...options });
};

beforeEach(() => {
  ({ dir, cleanup } = shortTempDir());
  socketPath = join(dir, 'control.sock');
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  cleanup();
});

describe('operations the running manager may lack', () => {
  it('answer 501 with a USAGE error naming the operation, without touching other routes', async () => {
    const { handlers, calls } = fakeHandlers();
    await start(handlers);
    const probes = [
      ['GET', '/capabilities', undefined, 'capabilities'],
      ['GET', '/capabilities?server=echo', undefined, 'capabilities'],
      ['POST', '/call', JSON.stringify({ server: 'echo', tool: 'echo', args: {} }), 'call'],
      ['GET', '/health', undefined, 'health'],
      ['POST', '/reload', undefined, 'reload'],
    ] as const;
    for (const [method, path, body, operation] of probes) {
      const reply = await rawRequest(socketPath, method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(501);
      expect(reply.json).toEqual({ error: { code: 'USAGE', message: `${operation} is not available in this manager` } });
    }

    const client = createControlClient(socketPath);
    for (const [operation, attempt] of [
      ['capabilities', client.capabilities()],
      ['call', client.callTool('echo', 'echo')],
      ['health', client.health({ server: 'echo' })],
      ['reload', client.reload()],
    ] as const) {
      const error = await rejection(attempt);
      expect(error.code).toBe('USAGE');
      expect(error.message).toBe(`${operation} is not available in this manager`);
      expect(error.data.status).toBe(501);
    }
    expect(calls).toEqual([]);
  });
});

describe('GET /capabilities', () => {
  it('returns every server, or the one asked for', async () => {
    const { handlers, calls } = fullHandlers();
    await start(handlers);
    const client = createControlClient(socketPath);
    expect(await client.capabilities()).toEqual(CAPABILITIES);
    expect(await client.capabilities({ server: 'broken' })).toEqual({ servers: [CAPABILITIES.servers[1]] });
    expect(calls).toEqual(['capabilities *', 'capabilities broken']);
  });

  it('passes percent-encoded names through and maps SERVER_NOT_FOUND to 404', async () => {
    const seen: (string | undefined)[] = [];
    await start(
      fullHandlers({
        capabilities: (name) => {
          seen.push(name);
          return { servers: [] };
        },
      }).handlers,
    );
    await createControlClient(socketPath).capabilities({ server: 'a b&c=d' });
    expect(seen).toEqual(['a b&c=d']);
    await server?.close();

    await start(fullHandlers().handlers);
    const raw = await rawRequest(socketPath, 'GET', '/capabilities?server=nope');
    expect(raw.status).toBe(404);
    expect(raw.json).toEqual({
      error: { code: 'SERVER_NOT_FOUND', message: 'no server named "nope"', data: { server: 'nope' } },
    });
    const error = await rejection(createControlClient(socketPath).capabilities({ server: 'nope' }));
    expect(error.code).toBe('SERVER_NOT_FOUND');
  });

  it('rejects an empty server filter and a POST', async () => {
    const { handlers, calls } = fullHandlers();
    await start(handlers);
    const empty = await rawRequest(socketPath, 'GET', '/capabilities?server=');
    expect(empty.status).toBe(400);
    expect(empty.json).toMatchObject({ error: { code: 'USAGE', message: 'query parameter "server" must not be empty' } });
    const post = await rawRequest(socketPath, 'POST', '/capabilities');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
    expect(calls).toEqual([]);
  });

  it('the client refuses a reply of the wrong shape', async () => {
    const malformed = { servers: [{ ...CAPABILITIES.servers[0], tools: 'all of them' }] } as unknown as CapabilitiesSnapshot;
    await start(fullHandlers({ capabilities: () => malformed }).handlers);
    const error = await rejection(createControlClient(socketPath).capabilities());
    expect(error.code).toBe('CONTROL_FAILED');
    expect(error.message).toBe('unexpected reply from the control API to /capabilities: servers[0] has no tools list');
  });
});

describe('POST /call', () => {
  it('calls the tool with the arguments and returns its result as is', async () => {
    const { handlers, calls } = fullHandlers();
    await start(handlers);
    const client = createControlClient(socketPath);
    expect(await client.callTool('echo', 'echo', { text: 'hi', n: [1, { deep: true }] })).toEqual({
      content: [{ type: 'text', text: 'hi' }],
    });
    // A tool-level error is a result, not a control failure.
    expect(await client.callTool('echo', 'fail')).toEqual({
      content: [{ type: 'text', text: 'division by zero' }],
      isError: true,
    });
    expect(calls).toEqual(['call echo echo {"text":"hi","n":[1,{"deep":true}]}', 'call echo fail {}']);
  });

  it('defaults args to {} when the body leaves them out', async () => {
    const { handlers, calls } = fullHandlers();
    await start(handlers);
    const reply = await rawRequest(socketPath, 'POST', '/call', JSON.stringify({ server: 'echo', tool: 'echo' }));
    expect(reply.status).toBe(200);
    expect(calls).toEqual(['call echo echo {}']);
  });

  it('validates the body before any handler runs', async () => {
    const { handlers, calls } = fullHandlers();
    await start(handlers);
    const cases: [string | undefined, RegExp][] = [
      [undefined, /needs "server"/],
      ['{}', /needs "server"/],
      [JSON.stringify({ tool: 'echo' }), /needs "server"/],
      [JSON.stringify({ server: '', tool: 'echo' }), /needs "server"/],
      [JSON.stringify({ server: 7, tool: 'echo' }), /needs "server"/],
      [JSON.stringify({ server: 'echo' }), /needs "tool"/],
      [JSON.stringify({ server: 'echo', tool: '' }), /needs "tool"/],
      [JSON.stringify({ server: 'echo', tool: 'echo', args: [1] }), /"args" must be a JSON object/],
      [JSON.stringify({ server: 'echo', tool: 'echo', args: null }), /"args" must be a JSON object/],
      [JSON.stringify({ server: 'echo', tool: 'echo', argz: {} }), /unknown field in \/call body: argz/],
      ['{"server": "echo", ', /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const reply = await rawRequest(socketPath, 'POST', '/call', body);
      expect(reply.status, String(body)).toBe(400);
      expect(reply.json).toMatchObject({ error: { code: 'USAGE', message: expect.stringMatching(message) } });
    }
    expect((await rawRequest(socketPath, 'GET', '/call')).status).toBe(405);
    expect(calls).toEqual([]);
  });

  it('maps an unknown server to 404 SERVER_NOT_FOUND and an unknown tool to 404 TOOL_NOT_FOUND', async () => {
    await start(fullHandlers().handlers);
    const noServer = await rawRequest(socketPath, 'POST', '/call', JSON.stringify({ server: 'nope', tool: 'echo' }));
    expect(noServer.status).toBe(404);
    expect(noServer.json).toMatchObject({ error: { code: 'SERVER_NOT_FOUND' } });
    const noTool = await rawRequest(socketPath, 'POST', '/call', JSON.stringify({ server: 'echo', tool: 'nope' }));
    expect(noTool.status).toBe(404);
    const error = await rejection(createControlClient(socketPath).callTool('echo', 'nope'));
    expect(error.code).toBe('TOOL_NOT_FOUND');
    expect(error.message).toBe('server "echo" has no tool "nope"');
  });

  it('accepts arguments larger than the general body limit, up to its own', async () => {
    const { handlers, calls } = fullHandlers();
    await start(handlers, { maxBodyBytes: 1024, maxCallBodyBytes: 8192 });
    const client = createControlClient(socketPath);
    const text = 'x'.repeat(4096);
    expect(await client.callTool('echo', 'echo', { text })).toEqual({ content: [{ type: 'text', text }] });
    const tooBig = await rejection(client.callTool('echo', 'echo', { text: 'x'.repeat(10_000) }));
    expect(tooBig.message).toBe('request body is larger than 8192 bytes');
    expect(tooBig.data.status).toBe(413);
    // Other routes keep the general limit.
    const reload = await rawRequest(socketPath, 'POST', '/reload', JSON.stringify({ pad: text }));
    expect(reload.status).toBe(413);
    expect(calls).toHaveLength(1);
  });

  it('waits for a slow tool beyond the timeout of other requests, up to callTimeoutMs', async () => {
    let release: () => void = () => undefined;
    const { handlers, calls } = fullHandlers({
      callTool: async () => {
        calls.push('call started');
        await new Promise<void>((resolve) => (release = resolve));
        return { content: [] };
      },
      // Hangs, so requests other than /call run into the client's timeoutMs.
      restartServer: () => new Promise<void>(() => undefined),
    });
    await start(handlers, { closeGraceMs: 0 });
    const client = createControlClient(socketPath, { timeoutMs: 100, callTimeoutMs: 30_000 });

    const slow = client.callTool('echo', 'slow');
    await waitFor(() => calls.includes('call started'), 'the call to reach the handler');
    // Started after the call and cut at 100 ms: the call has been pending longer than that.
    const restart = await rejection(client.restartServer('echo'));
    expect(restart.message).toBe('control request POST /servers/echo/restart timed out after 100 ms');
    release();
    expect(await slow).toEqual({ content: [] });

    const impatient = createControlClient(socketPath, { callTimeoutMs: 100 });
    const error = await rejection(impatient.callTool('echo', 'slow'));
    expect(error.code).toBe('CONTROL_FAILED');
    expect(error.message).toBe('control request POST /call timed out after 100 ms');
    release();
  });

  it('defaults the call timeout to ten minutes', () => {
    expect(CALL_TIMEOUT_MS).toBe(600_000);
  });

  it('the client refuses a result that is not an object', async () => {
    await start(fullHandlers({ callTool: () => Promise.resolve(['text'] as unknown as Record<string, unknown>) }).handlers);
    const error = await rejection(createControlClient(socketPath).callTool('echo', 'echo'));
    expect(error.code).toBe('CONTROL_FAILED');
    expect(error.message).toBe('unexpected reply from the control API to /call: the tool result is not an object');
  });
});

describe('GET /health', () => {
  it('returns every server, or the one asked for; unknown → 404', async () => {
    const { handlers, calls } = fullHandlers();
    await start(handlers);
    const client = createControlClient(socketPath);
    expect(await client.health()).toEqual(HEALTH);
    expect(await client.health({ server: 'leaky' })).toEqual({ servers: [HEALTH.servers[1]] });
    const error = await rejection(client.health({ server: 'nope' }));
    expect(error.code).toBe('SERVER_NOT_FOUND');
    expect(error.data.status).toBe(404);
    expect(calls).toEqual(['health *', 'health leaky', 'health nope']);
  });

  it('the client refuses entries without a name', async () => {
    const malformed = { servers: [{ state: 'healthy' }] } as unknown as HealthSnapshot;
    await start(fullHandlers({ health: () => malformed }).handlers);
    const error = await rejection(createControlClient(socketPath).health());
    expect(error.message).toBe('unexpected reply from the control API to /health: servers[0] has no name');
  });
});

describe('POST /reload', () => {
  it('returns the report, applied or rejected, with status 200', async () => {
    let report = RELOAD_OK;
    const { handlers, calls } = fullHandlers({
      reload: () => {
        calls.push('reload');
        return Promise.resolve(report);
      },
    });
    await start(handlers);
    const client = createControlClient(socketPath);
    expect(await client.reload()).toEqual(RELOAD_OK);
    report = RELOAD_REJECTED;
    const raw = await rawRequest(socketPath, 'POST', '/reload');
    expect(raw.status).toBe(200);
    expect(raw.json).toEqual(RELOAD_REJECTED);
    expect(await client.reload()).toEqual(RELOAD_REJECTED);
    expect((await rawRequest(socketPath, 'GET', '/reload')).status).toBe(405);
    expect(calls).toEqual(['reload', 'reload', 'reload']);
  });

  it('the client refuses a report of the wrong shape', async () => {
    const malformed = { ok: true, added: ['a'], removed: 'b', changed: [] } as unknown as ReloadReport;
    await start(fullHandlers({ reload: () => Promise.resolve(malformed) }).handlers);
    const error = await rejection(createControlClient(socketPath).reload());
    expect(error.message).toBe('unexpected reply from the control API to /reload: removed is not a list of names');
  });
});
