/**
 * The startup baseline, run as its own orchestrator process: spawn N stdio servers with
 * the SDK client directly (`Client` + `StdioClientTransport`), all concurrently, and
 * report when every `connect()` + `listTools()` has resolved.
 *
 * Protocol (driven by bench/startup.ts):
 *   env MCP_BENCH_BASELINE = {"count":N,"command":"…","args":["…"],"inheritEnv":true}
 *     inheritEnv: give the servers this process's whole environment, as the manager does by
 *     default (inherit_env: true); otherwise the SDK's minimal default environment.
 *   stdout, one JSON line: {"type":"ready", entryAt, importedAt, spawnedAt, readyAt, pids, tools}
 *                      or {"type":"error", message}
 *   then stdin EOF → close every client → {"type":"closed", closedAt} → exit.
 *
 * Times are epoch ms (performance.timeOrigin + performance.now()). The SDK is imported
 * dynamically so that loading it counts after `entryAt`, as the manager's module loading
 * counts on its side.
 *
 * Must stay self-contained (node:* and the SDK only): the bench transpiles this file with
 * TypeScript and runs it with plain `node`, so no loader hook slows the baseline down.
 * It also runs as is: `MCP_BENCH_BASELINE=… node --import tsx bench/lib/direct-baseline.ts`.
 */
import type { Client as ClientType } from '@modelcontextprotocol/sdk/client/index.js';

const now = (): number => performance.timeOrigin + performance.now();
const entryAt = now();
const send = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

interface BaselineInput {
  count: number;
  command: string;
  args: string[];
  inheritEnv?: boolean;
}

const input = JSON.parse(process.env.MCP_BENCH_BASELINE ?? 'null') as BaselineInput | null;
if (!input || !Number.isInteger(input.count) || typeof input.command !== 'string') {
  send({ type: 'error', message: 'MCP_BENCH_BASELINE must be {"count":N,"command":"…","args":[…]}' });
  process.exit(2);
}

const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
const importedAt = now();

const env = input.inheritEnv
  ? Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'MCP_BENCH_BASELINE'),
    )
  : undefined;
const clients: ClientType[] = [];
const pids: number[] = [];

async function startOne(): Promise<number> {
  const transport = new StdioClientTransport({
    command: input!.command,
    args: input!.args,
    stderr: 'ignore',
    ...(env === undefined ? {} : { env }),
  });
  const client = new Client({ name: 'bench-baseline', version: '0.0.0' }, { capabilities: {} });
  clients.push(client);
  await client.connect(transport);
  if (transport.pid !== null) pids.push(transport.pid);
  const { tools } = await client.listTools();
  return tools.length;
}

async function closeAll(): Promise<void> {
  await Promise.allSettled(clients.map((client) => client.close()));
}

try {
  // connect() spawns synchronously (before its first await), so every server is spawned
  // once this loop returns
  const starting = Array.from({ length: input.count }, () => startOne());
  const spawnedAt = now();
  const tools = await Promise.all(starting);
  send({ type: 'ready', entryAt, importedAt, spawnedAt, readyAt: now(), pids, tools: tools.reduce((a, b) => a + b, 0) });
} catch (error) {
  send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  await closeAll();
  process.exit(1);
}

process.stdin.resume();
process.stdin.once('end', () => {
  void closeAll().then(() => {
    send({ type: 'closed', closedAt: now() });
    process.exit(0);
  });
});
