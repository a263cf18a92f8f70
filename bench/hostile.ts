/**
 * Hostile-input benchmark: how fast the real manager answers `/healthz` while it is fed
 * bad input — a backend flooding stdout with garbage, tool arguments nested 10,000 deep,
 * oversized bodies, and SDK clients reconnecting past the session cap. Aim: p99 < 100 ms
 * in every phase. Each phase is bounded in time.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createControlClient } from '../src/control/client.js';
import { socketPathOf } from '../src/state/paths.js';
import { readMemory, spawnTracked, waitForExit } from './lib/proc.js';
import { REPO_ROOT, makeTempDir, removeDir } from './lib/servers.js';
import { formatAim, formatMB, formatMs, formatTable, percentile } from './lib/stats.js';
import type { BenchModule, BenchOptions, BenchResult } from './lib/types.js';

const AIM_P99_MS = 100;
const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const FLOOD = join(REPO_ROOT, 'test', 'fixtures', 'servers', 'flood.mjs');
const ECHO = join(REPO_ROOT, 'test', 'fixtures', 'servers', 'echo.mjs');

/** Poll /healthz back to back while `load` runs; the latencies in ms. */
async function probeDuring(url: string, durationMs: number, load: (stop: AbortSignal) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  const stop = new AbortController();
  const loading = load(stop.signal).catch(() => undefined);
  const until = Date.now() + durationMs;
  while (Date.now() < until) {
    const started = performance.now();
    const res = await fetch(new URL('/healthz', url));
    await res.arrayBuffer();
    latencies.push(performance.now() - started);
    await sleep(5);
  }
  stop.abort();
  await loading;
  return latencies;
}

async function post(url: string, body: string, session?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(session ? { 'mcp-session-id': session } : {}) },
    body,
  });
}

async function run(options: BenchOptions): Promise<BenchResult> {
  const phaseMs = options.quick ? 2_000 : 6_000;
  const dir = await makeTempDir();
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      'manager:',
      '  log_level: warn',
      '  http_sessions: 50',
      'servers:',
      '  noisy:',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(FLOOD)}]`,
      '  echo:',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(ECHO)}]`,
      '',
    ].join('\n'),
  );
  const stateDir = join(dir, 'state');
  const manager = spawnTracked(process.execPath, [CLI, 'start', '--config', config, '--state-dir', stateDir, '--http', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const pid = manager.child.pid!;
  const control = createControlClient(socketPathOf(stateDir));
  const rows: string[][] = [];
  let met = true;
  try {
    let url: string | undefined;
    for (let i = 0; i < 300 && url === undefined; i++) {
      const status = await control.status().catch(() => undefined);
      if (status?.manager.http && status.servers.every((s) => s.state === 'healthy')) url = status.manager.http.url;
      else await sleep(100);
    }
    if (url === undefined) throw new Error(`the manager did not come up: ${manager.stderrTail().join('\n')}`);
    const client = new Client({ name: 'bench-hostile', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const init = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
    const session = init.headers.get('mcp-session-id') ?? undefined;
    await init.arrayBuffer();
    const deep = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo__echo","arguments":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`;
    const oversized = `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo__echo","arguments":{"text":"${'x'.repeat(20 * 1024 * 1024)}"}}}`;

    const phases: [string, (stop: AbortSignal) => Promise<void>][] = [
      ['idle', () => Promise.resolve()],
      ['stdout garbage flood', async () => void (await client.callTool({ name: 'noisy__flood', arguments: { ms: phaseMs } }))],
      [
        'arguments 10,000 deep',
        async (stop) => {
          while (!stop.aborted) await (await post(url, deep, session)).arrayBuffer();
        },
      ],
      [
        '20 MB bodies',
        async (stop) => {
          while (!stop.aborted) await (await post(url, oversized, session)).arrayBuffer().catch(() => undefined);
        },
      ],
      [
        'reconnects past the cap',
        async (stop) => {
          while (!stop.aborted) {
            const c = new Client({ name: 'churn', version: '1' });
            await c.connect(new StreamableHTTPClientTransport(new URL(url)));
            await c.close();
          }
        },
      ],
    ];
    for (const [name, load] of phases) {
      const latencies = await probeDuring(url, phaseMs, load);
      const p99 = percentile(latencies, 99);
      const ok = p99 < AIM_P99_MS;
      met &&= ok;
      rows.push([name, String(latencies.length), formatMs(percentile(latencies, 50)), formatMs(p99), formatMs(Math.max(...latencies)), formatMB(readMemory(pid).rssBytes), formatAim(`p99 < ${AIM_P99_MS} ms`, ok)]);
    }
    await client.close();
  } finally {
    manager.child.kill('SIGTERM');
    await waitForExit(manager, 30_000);
    await removeDir(dir);
  }
  console.log('\n/healthz latency under hostile input (real manager, back-to-back probes)');
  console.log(formatTable(['phase', 'probes', 'p50', 'p99', 'max', 'manager RSS', 'aim'], rows, ['left', 'right', 'right', 'right', 'right', 'right', 'left']));
  return { summary: rows.map((r) => `hostile ${r[0]}: /healthz p99 ${r[3]} ${r[6]}`), aimsMet: met };
}

export const hostile: BenchModule = {
  name: 'hostile',
  description: '/healthz latency while the manager is fed garbage, deep nesting, huge bodies, reconnect churn',
  run,
};
