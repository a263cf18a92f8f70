import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManagerError } from '../../src/errors.js';
import type { ControlHandlers, ServerStatus, StatusSnapshot } from '../../src/control/types.js';

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
