/**
 * /metrics on a real manager: real echo servers behind the gateway, real MCP calls, a real
 * SIGKILL, a real reload; the text checked by promtool and against `status --json`.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../src/control/types.js';
import { waitFor } from '../helpers/processes.js';
import { CLI, echoServer, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';
import { promtoolCheck, samples, select, total, type Sample } from './exposition.js';

const run = promisify(execFile);
let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

interface Booted extends Running {
  dir: string;
  stateDir: string;
  base: string;
  client: Client;
  scrape(): Promise<Sample[]>;
  text(): Promise<string>;
}

async function boot(servers: string, manager = ''): Promise<Booted> {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const config = writeConfig(tmp.dir, servers);
  if (manager) writeFileSync(config, `manager:\n${manager}\n  shutdown_timeout: 20s\nservers:\n${servers}`);
  const stateDir = join(tmp.dir, 'state');
  const running = await runManager(config, stateDir, { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(() => running.manager.stop());
  const url = new URL(running.manager.gatewayUrl!);
  const client = new Client({ name: 'metrics-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url));
  cleanups.push(() => client.close());
  const text = async () => {
    const res = await fetch(new URL('/metrics', url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };
  return { ...running, dir: tmp.dir, stateDir, base: url.origin, client, text, scrape: async () => samples(await text()) };
}

const call = (client: Client, name: string, args: Record<string, unknown>) =>
  client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

async function statusJson(stateDir: string): Promise<StatusSnapshot> {
  const { stdout } = await run(process.execPath, [CLI, 'status', '--json', '--detailed', '--state-dir', stateDir], { timeout: 30_000 });
  return JSON.parse(stdout) as StatusSnapshot;
}

describe('/metrics on a running manager', () => {
  it('passes promtool, counts calls through the gateway, a restart after SIGKILL, and agrees with status --json', async () => {
    if (!existsSync(CLI)) throw new Error(`no build at ${CLI}: run npm run build`);
    const m = await boot(echoServer('alpha', {}, 'health_check_interval: 0.2') + echoServer('beta'));
    await m.waitState('alpha', 'healthy');
    await m.waitState('beta', 'healthy');

    let all: Sample[];
    const check = promtoolCheck(await m.text());
    expect(check.output).toBe('');
    expect(check.status).toBe(0);

    // the health monitor's pings and process samples
    all = await waitFor(
      async () => {
        const scraped = await m.scrape();
        return total(scraped, 'mcp_manager_ping_duration_seconds_count', { server: 'alpha' }) > 0 &&
          total(scraped, 'mcp_manager_server_memory_bytes', { instance: 'alpha' }) > 0
          ? scraped
          : undefined;
      },
      { timeoutMs: 15_000, what: 'a ping and a process sample of alpha' },
    );
    expect(select(all, 'mcp_manager_server_cpu_ratio', { server: 'alpha', instance: 'alpha' })).toHaveLength(1);
    expect(select(all, 'mcp_manager_ping_duration_seconds_count', { server: 'beta' })).toEqual([]);

    for (let i = 0; i < 5; i++) expect((await call(m.client, 'alpha__echo', { text: `hi ${i}` })).isError).toBeFalsy();
    await call(m.client, 'beta__add', { a: 1, b: 2 });
    // an invalid argument: an isError result or a JSON-RPC error, counted either way
    await call(m.client, 'beta__add', { a: 'one', b: 2 }).catch(() => undefined);
    all = await m.scrape();
    expect(select(all, 'mcp_manager_tool_calls_total', { server: 'alpha', tool: 'echo', outcome: 'ok' })[0]?.value).toBe(5);
    expect(total(all, 'mcp_manager_tool_calls_total', { server: 'alpha' })).toBe(5);
    expect(select(all, 'mcp_manager_tool_call_duration_seconds_count', { server: 'alpha', tool: 'echo' })[0]?.value).toBe(5);
    expect(select(all, 'mcp_manager_tool_call_duration_seconds_bucket', { server: 'alpha', tool: 'echo', le: '+Inf' })[0]?.value).toBe(5);
    expect(select(all, 'mcp_manager_tool_call_duration_seconds_sum', { server: 'alpha', tool: 'echo' })[0]?.value).toBeGreaterThan(0);
    expect(select(all, 'mcp_manager_tool_calls_total', { server: 'beta', tool: 'add', outcome: 'ok' })[0]?.value).toBe(1);
    expect(
      total(all, 'mcp_manager_tool_calls_total', { server: 'beta', tool: 'add', outcome: 'tool_error' }) +
        total(all, 'mcp_manager_tool_calls_total', { server: 'beta', tool: 'add', outcome: 'error' }),
    ).toBe(1);
    expect(select(all, 'mcp_manager_gateway_sessions', { era: 'legacy' })[0]?.value).toBe(1);
    expect(select(all, 'mcp_manager_catalog_tools')[0]?.value).toBe((await m.client.listTools()).tools.length);
    expect(select(all, 'mcp_manager_inflight_requests', { server: 'alpha', instance: 'alpha' })[0]?.value).toBe(0);
    expect(select(all, 'mcp_manager_queued_requests', { server: 'alpha' })[0]?.value).toBe(0);
    const restartsBefore = total(all, 'mcp_manager_server_restarts_total', { server: 'alpha' });
    expect(restartsBefore).toBe(0);

    // SIGKILL the real server process: one restart, for the exit
    const pid = (await m.server('alpha')).pid!;
    process.kill(pid, 'SIGKILL');
    await m.waitState('alpha', (s) => s.state === 'healthy' && s.pid !== null && s.pid !== pid);
    all = await m.scrape();
    expect(total(all, 'mcp_manager_server_restarts_total', { server: 'alpha' })).toBe(restartsBefore + 1);
    expect(select(all, 'mcp_manager_server_restarts_total', { server: 'alpha', reason: 'server_exited' })[0]?.value).toBe(1);

    // status --json and /metrics tell the same story
    const before = Date.now();
    const status = await statusJson(m.stateDir);
    all = await m.scrape();
    const elapsedS = (Date.now() - before) / 1000;
    for (const server of status.servers) {
      const current = select(all, 'mcp_manager_server_state', { server: server.name }).filter((s) => s.value === 1);
      expect(
        current.map((s) => s.labels.state),
        server.name,
      ).toEqual([server.state]);
      expect(total(all, 'mcp_manager_server_restarts_total', { server: server.name }), server.name).toBe(server.restarts);
      const uptime = select(all, 'mcp_manager_server_uptime_seconds', { server: server.name, instance: server.name })[0]!.value;
      // the scrape came after the status: its uptime is the status's plus at most the time between them
      const statusUptimeS = server.uptimeMs! / 1000;
      expect(uptime).toBeGreaterThanOrEqual(statusUptimeS - 0.001);
      expect(uptime).toBeLessThanOrEqual(statusUptimeS + elapsedS + 0.001);
    }
  });

  it('drops the series of a server removed by a reload, and counts the reload', async () => {
    const m = await boot(echoServer('keep') + echoServer('leaving'));
    await m.waitState('keep', 'healthy');
    await m.waitState('leaving', 'healthy');
    await call(m.client, 'leaving__echo', { text: 'bye' });
    let all = await m.scrape();
    expect(select(all, 'mcp_manager_tool_calls_total', { server: 'leaving', outcome: 'ok' })[0]?.value).toBe(1);
    expect(select(all, 'mcp_manager_server_state', { server: 'leaving' }).length).toBeGreaterThan(0);

    writeConfig(m.dir, echoServer('keep'));
    expect(await m.control.reload()).toMatchObject({ ok: true, removed: ['leaving'] });
    await waitFor(async () => (await m.status()).servers.every((s) => s.name !== 'leaving'), { timeoutMs: 15_000 });
    all = await waitFor(
      async () => {
        const scraped = await m.scrape();
        return scraped.some((s) => s.labels.server === 'leaving') ? undefined : scraped;
      },
      { timeoutMs: 15_000, what: 'the series of "leaving" to go' },
    );
    expect(all.filter((s) => s.labels.server === 'leaving')).toEqual([]);
    expect(select(all, 'mcp_manager_server_state', { server: 'keep', state: 'healthy' })[0]?.value).toBe(1);
    expect(select(all, 'mcp_manager_config_reloads_total', { outcome: 'applied' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(promtoolCheck(await m.text()).status).toBe(0);
  });

  it("is behind the listener's checks: a bearer token when one is set, Host and Origin always", async () => {
    const saved = process.env.MCP_MANAGER_TOKEN;
    process.env.MCP_MANAGER_TOKEN = 'metrics-secret';
    cleanups.push(() => {
      if (saved === undefined) delete process.env.MCP_MANAGER_TOKEN;
      else process.env.MCP_MANAGER_TOKEN = saved;
    });
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const running = await runManager(writeConfig(tmp.dir, echoServer('alpha')), join(tmp.dir, 'state'), {
      http: { host: '127.0.0.1', port: 0 },
    });
    cleanups.push(() => running.manager.stop());
    const url = new URL('/metrics', running.manager.gatewayUrl);
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer metrics-secret' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('mcp_manager_server_state');
    expect((await fetch(url, { headers: { authorization: 'Bearer metrics-secret', origin: 'https://evil.example' } })).status).toBe(403);
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer metrics-secret' } })).status).toBe(405);
  });

  it('is off with manager.metrics: false (404, and calls still work)', async () => {
    const m = await boot(echoServer('alpha'), '  metrics: false');
    await m.waitState('alpha', 'healthy');
    expect((await call(m.client, 'alpha__echo', { text: 'x' })).isError).toBeFalsy();
    expect((await fetch(new URL('/metrics', m.base))).status).toBe(404);
  });
});
