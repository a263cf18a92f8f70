import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerError } from '../../src/errors.js';
import type {
  CapabilitiesSnapshot,
  ControlHandlers,
  HealthSnapshot,
  ReloadReport,
  ServerStatus,
  StatusSnapshot,
} from '../../src/control/types.js';

/** A short temp dir (unix socket paths are limited to ~107 bytes); removed by `cleanup`. */
export function shortTempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mm-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Poll `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A raw request, for inputs the client never sends. */
export function rawRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) });
        } catch {
          reject(new Error(`reply is not JSON: ${text}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function rejection(promise: Promise<unknown>): Promise<ManagerError> {
  try {
    await promise;
  } catch (error) {
    if (ManagerError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection with a ManagerError');
}

export const SERVERS: ServerStatus[] = [
  { name: 'echo', state: 'healthy', pid: 4242, restarts: 0, transport: 'stdio', tags: ['test'], enabled: true },
  {
    name: 'broken',
    state: 'failed',
    pid: null,
    restarts: 5,
    transport: 'stdio',
    tags: [],
    enabled: true,
    error: 'server "broken" exited with code 1\n  stderr (last lines):\n    ImportError: no module named x',
  },
];

export function snapshot(detailed: boolean): StatusSnapshot {
  return {
    manager: {
      pid: 1234,
      version: '0.1.0',
      configFile: '/etc/mcp/config.yaml',
      stateDir: '/state',
      startedAt: '2025-01-01T00:00:00.000Z',
      uptimeMs: 3_723_000,
    },
    servers: detailed
      ? SERVERS.map((s) => ({ ...s, uptimeMs: s.pid === null ? null : 65_000, tools: s.pid === null ? [] : ['echo', 'add'] }))
      : SERVERS,
  };
}

/** ControlHandlers that record calls; unknown names throw SERVER_NOT_FOUND like the supervisor. */
export function fakeHandlers(overrides: Partial<ControlHandlers> = {}): { handlers: ControlHandlers; calls: string[] } {
  const calls: string[] = [];
  const known = (name: string): void => {
    if (!SERVERS.some((s) => s.name === name)) {
      throw new ManagerError('SERVER_NOT_FOUND', `no server named "${name}"`, { data: { server: name } });
    }
  };
  const handlers: ControlHandlers = {
    status: ({ detailed }) => {
      calls.push(`status detailed=${detailed}`);
      return snapshot(detailed);
    },
    startServer: (name) => {
      known(name);
      calls.push(`start ${name}`);
    },
    stopServer: (name) => {
      known(name);
      calls.push(`stop ${name}`);
    },
    restartServer: async (name) => {
      known(name);
      await Promise.resolve();
      calls.push(`restart ${name}`);
    },
    shutdown: () => {
      calls.push('shutdown');
    },
    ...overrides,
  };
  return { handlers, calls };
}

export const CAPABILITIES: CapabilitiesSnapshot = {
  servers: [
    {
      name: 'echo',
      state: 'healthy',
      serverInfo: { name: 'echo-server', version: '1.2.0' },
      protocolCapabilities: { tools: {}, prompts: {}, resources: {} },
      era: 'legacy',
      offered: { sampling: false, elicitation: false, roots: false },
      tools: [
        { name: 'echo', publicName: 'echo__echo', description: 'Echo the text back', readOnly: true },
        { name: 'add_numbers', publicName: 'echo__add_numbers', readOnly: false },
        { name: 'hidden', publicName: null, readOnly: false },
      ],
      prompts: [{ name: 'greet', publicName: 'echo__greet' }],
      resources: [{ uri: 'file:///tmp/notes.txt', name: 'notes' }],
      resourceTemplates: [{ uriTemplate: 'file:///tmp/{name}', name: 'tmp files' }],
    },
    {
      name: 'broken',
      state: 'failed',
      serverInfo: null,
      protocolCapabilities: {},
      era: null,
      offered: { sampling: false, elicitation: false, roots: false },
      tools: [],
      prompts: [],
      resources: [],
      resourceTemplates: [],
    },
  ],
};

export const HEALTH: HealthSnapshot = {
  servers: [
    {
      name: 'echo',
      state: 'healthy',
      restarts: 0,
      latencyMs: { ewma: 12.4, p95: 40, last: 9 },
      cpuPercent: 1.234,
      memoryBytes: 50 * 1024 * 1024,
      trend: { memoryGrowthBytesPerMin: 0, failureRate: 0, flagged: [] },
      lastProbe: { kind: 'ping', ok: true, at: '2025-01-01T00:00:00.000Z' },
    },
    {
      name: 'leaky',
      state: 'degraded',
      restarts: 2,
      latencyMs: { ewma: 850, p95: 2500 },
      cpuPercent: 97.5,
      memoryBytes: 1.5 * 1024 ** 3,
      trend: { memoryGrowthBytesPerMin: 5 * 1024 * 1024, failureRate: 0.25, flagged: ['memory', 'failures'] },
      lastProbe: { kind: 'tools_list', ok: false, at: '2025-01-01T00:01:00.000Z', detail: 'timed out after 5s' },
      reasons: ['p95 latency above 2s'],
    },
    { name: 'broken', state: 'failed', restarts: 5 },
  ],
};

export const RELOAD_OK: ReloadReport = { ok: true, added: ['github'], removed: ['old'], changed: ['echo'] };

export const RELOAD_REJECTED: ReloadReport = {
  ok: false,
  added: [],
  removed: [],
  changed: [],
  issues: [
    { file: '/etc/mcp/config.yaml', path: 'servers.echo', line: 4, column: 5, message: 'unknown key "comand"' },
    { file: '/etc/mcp/config.yaml', path: 'servers.web.url', line: 9, column: 10, message: 'expected a URL' },
  ],
};

function pick<T extends { name: string }>(list: readonly T[], server: string | undefined): { servers: T[] } {
  if (server === undefined) return { servers: [...list] };
  const found = list.filter((entry) => entry.name === server);
  if (found.length === 0) throw new ManagerError('SERVER_NOT_FOUND', `no server named "${server}"`, { data: { server } });
  return { servers: found };
}

/**
 * `fakeHandlers` plus capabilities, callTool, health and reload. Tools of `callTool`:
 * `echo` (text of args.text), `fail` (isError), `picture` (text and a PNG); others: TOOL_NOT_FOUND.
 */
export function fullHandlers(overrides: Partial<ControlHandlers> = {}): { handlers: ControlHandlers; calls: string[] } {
  const base = fakeHandlers();
  const { calls } = base;
  const handlers: ControlHandlers = {
    ...base.handlers,
    capabilities: (server) => {
      calls.push(`capabilities ${server ?? '*'}`);
      return pick(CAPABILITIES.servers, server);
    },
    callTool: async (server, tool, args) => {
      await Promise.resolve();
      calls.push(`call ${server} ${tool} ${JSON.stringify(args)}`);
      pick(SERVERS, server);
      switch (tool) {
        case 'echo':
          return { content: [{ type: 'text', text: typeof args.text === 'string' ? args.text : '' }] };
        case 'fail':
          return { content: [{ type: 'text', text: 'division by zero' }], isError: true };
        case 'picture':
          return {
            content: [
              { type: 'text', text: 'a red dot' },
              { type: 'image', mimeType: 'image/png', data: Buffer.alloc(1234, 7).toString('base64') },
            ],
          };
        default:
          throw new ManagerError('TOOL_NOT_FOUND', `server "${server}" has no tool "${tool}"`, { data: { server, tool } });
      }
    },
    health: (server) => {
      calls.push(`health ${server ?? '*'}`);
      return pick(HEALTH.servers, server);
    },
    reload: async () => {
      await Promise.resolve();
      calls.push('reload');
      return RELOAD_OK;
    },
    ...overrides,
  };
  return { handlers, calls };
}
