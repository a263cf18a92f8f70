/**
 * Eras benchmark: the gateway's figures for both protocol eras (2025-11-25 "legacy" and
 * 2026-07-28 "modern") side by side, each beside its baseline measured in the same run.
 * See bench/README.md.
 *
 * 1. HTTP: `mcp-manager start --http` (echo.mjs behind it) against the v2 SDK's own HTTP
 *    serving of both eras in-process (lib/sdk2-http-server.ts); each with the lean client
 *    (lib/lean-http-client.ts, legacy and modern) and the v2 SDK client (legacy mode and
 *    pinned to 2026-07-28).
 * 2. stdio: the v2 SDK client (legacy mode and pinned modern) → `mcp-manager start --stdio`
 *    → a dual-era v2 echo server, against the same client → that server directly.
 *
 * Aims: on each path and client kind, the modern era no more than 5 % worse than the legacy
 * era (throughput at 32 in flight, gateway CPU per call); for modern HTTP the hot-path aims
 * of the legacy era (lean client ≥ 1.5× the SDK's own server, gateway CPU ≤ 60 µs per call).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import {
  AIM_HTTP_GATEWAY_CPU_US,
  AIM_HTTP_LEAN_THROUGHPUT,
  ARGS,
  CONCURRENCY,
  Cleanup,
  MAIN_JS,
  PID_TOOL,
  REAP_TIMEOUT_MS,
  START_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
  TOOL,
  checkEcho,
  formatLoad,
  formatRate,
  formatSecondsShort,
  fullEnv,
  leanHttpClient,
  managerConfig,
  managerNodeArgs,
  managerNote,
  measureAll,
  measuredTable,
  ownSession,
  planFor,
  quietFetch,
  scriptSource,
  startHttpGateway,
  tailOf,
  throughput,
  waitForTool,
  withTail,
  type Measured,
  type Plan,
  type Target,
} from './gateway.js';
import type { Call, Watched } from './lib/load.js';
import { LeanMcpHttpClient } from './lib/lean-http-client.js';
import { reapPids, spawnTracked, waitForExit } from './lib/proc.js';
import { REPO_ROOT, echoServerCommand, makeTempDir, removeDir, type ServerCommand } from './lib/servers.js';
import { formatAim, formatMicros, formatRatio, formatTable } from './lib/stats.js';
import type { BenchModule, BenchOptions, BenchResult } from './lib/types.js';

/** Modern era against legacy era, same path and client kind: throughput ≥ 0.95×, gateway CPU per call ≤ 1.05×. */
const AIM_ERA_THROUGHPUT = 0.95;
const AIM_ERA_CPU = 1.05;

const MODERN = '2026-07-28';
/** A v2 SDK server over stdio serving both eras (FIXTURE_ERA=dual), with an `echo` tool. */
const DUAL_ECHO = join(REPO_ROOT, 'test', 'fixtures', 'servers', 'modern-era.mjs');
const DUAL_ENV = { FIXTURE_ERA: 'dual' };

type Era = 'legacy' | 'modern';

function v2Client(era: Era): Client {
  return new Client(
    { name: 'bench-eras', version: '0.0.0' },
    { versionNegotiation: { mode: era === 'modern' ? { pin: MODERN } : 'legacy' } },
  );
}

const v2Call =
  (client: Client, name: string): Call =>
  async () =>
    checkEcho(await client.callTool({ name, arguments: ARGS }));

const leanCall =
  (client: LeanMcpHttpClient, name: string): Call =>
  async () =>
    checkEcho(await client.callTool(name, ARGS));

/** The pids whose parent is `pid` (one scan of /proc). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// the era comparison table

interface EraPair {
  path: string;
  client: string;
  legacy: Measured;
  modern: Measured;
  /** The process whose CPU per call is compared ('gateway'). */
  process: string;
}

function compareEras(pairs: readonly EraPair[]): { table: string; lines: string[]; met: boolean } {
  let met = true;
  const rows: string[][] = [];
  const lines: string[] = [];
  for (const { path, client, legacy, modern, process } of pairs) {
    const ratio = throughput(modern) / throughput(legacy);
    const clean = legacy.load.errors === 0 && modern.load.errors === 0;
    const throughputMet = clean && ratio >= AIM_ERA_THROUGHPUT;
    const cpuLegacy = legacy.load.cpuUsPerCall.get(process);
    const cpuModern = modern.load.cpuUsPerCall.get(process);
    const cpuRatio = cpuLegacy === undefined || cpuModern === undefined ? undefined : cpuModern / cpuLegacy;
    const cpuMet = clean && cpuRatio !== undefined && cpuRatio <= AIM_ERA_CPU;
    met &&= throughputMet && cpuMet;
    const us = (v: number | undefined) => (v === undefined ? '–' : formatMicros(v));
    rows.push([
      `${path}, ${client}`,
      formatRate(throughput(legacy)),
      formatRate(throughput(modern)),
      formatAim(`${formatRatio(ratio)} (≥ ${AIM_ERA_THROUGHPUT}×)`, throughputMet),
      us(cpuLegacy),
      us(cpuModern),
      formatAim(`${cpuRatio === undefined ? '–' : formatRatio(cpuRatio)} (≤ ${AIM_ERA_CPU}×)`, cpuMet),
    ]);
    lines.push(
      `${path} ${client}, modern ÷ legacy era through the gateway: throughput @${CONCURRENCY} ${formatRatio(ratio)} (${formatRate(throughput(modern))} vs ${formatRate(throughput(legacy))}) (${formatAim(`≥ ${AIM_ERA_THROUGHPUT}×`, throughputMet)}); ${process} CPU per call ${cpuRatio === undefined ? '–' : formatRatio(cpuRatio)} (${us(cpuModern)} vs ${us(cpuLegacy)}) (${formatAim(`≤ ${AIM_ERA_CPU}×`, cpuMet)})`,
    );
  }
  const table = formatTable(
    [
      'through the gateway',
      `legacy @${CONCURRENCY}`,
      `modern @${CONCURRENCY}`,
      'modern ÷ legacy',
      'legacy CPU/call',
      'modern CPU/call',
      'modern ÷ legacy',
    ],
    rows,
    ['left', 'right', 'right', 'left', 'right', 'right', 'left'],
  );
  return { table, lines, met };
}

// ---------------------------------------------------------------------------------------
// HTTP

interface Sdk2Server {
  url: string;
  pid: number;
}

async function startSdk2Server(cleanup: Cleanup): Promise<Sdk2Server> {
  const js = await scriptSource('sdk2-http-server.ts');
  const command = ownSession({ command: process.execPath, args: ['--input-type=module', '--eval', js] });
  const spawned = spawnTracked(command.command, command.args, {
    // bare imports in --eval code resolve from the cwd
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: fullEnv(),
  });
  cleanup.add('v2 SDK HTTP server', async () => {
    spawned.child.stdin?.end();
    if (!(await waitForExit(spawned, STOP_TIMEOUT_MS))) console.error('  warning: the v2 SDK HTTP server did not stop; killed');
  });
  const lines = createInterface({ input: spawned.child.stdout! })[Symbol.asyncIterator]();
  const first = await Promise.race([lines.next(), sleep(START_TIMEOUT_MS, 'timeout' as const, { ref: false })]);
  if (first === 'timeout' || first.done) throw withTail('the v2 SDK HTTP server did not start', spawned.stderrTail());
  const ready = JSON.parse(first.value) as { type: string; port?: number; pid?: number; message?: string };
  if (ready.type !== 'ready' || ready.port === undefined)
    throw withTail(`the v2 SDK HTTP server: ${ready.message ?? ready.type}`, spawned.stderrTail());
  return { url: `http://127.0.0.1:${ready.port}/mcp`, pid: ready.pid ?? spawned.child.pid! };
}

async function v2HttpClient(url: string, era: Era, cleanup: Cleanup, what: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: quietFetch });
  const client = v2Client(era);
  await client.connect(transport);
  const got = client.getProtocolEra();
  if (got !== era) throw new Error(`${what}: the v2 client (${era}) negotiated the ${got ?? 'unknown'} era`);
  cleanup.add(`v2 client (${era}) of ${what}`, async () => {
    if (era === 'legacy') await transport.terminateSession().catch(() => undefined);
    await client.close();
  });
  return client;
}

async function leanClient(url: string, era: Era, cleanup: Cleanup, what: string): Promise<LeanMcpHttpClient> {
  if (era === 'legacy') return leanHttpClient(url, cleanup, what);
  const client = new LeanMcpHttpClient(url, { maxSockets: CONCURRENCY, era: 'modern' });
  cleanup.add(`lean modern client of ${what}`, () => client.close());
  return client;
}

async function runHttp(plan: Plan, cleanup: Cleanup): Promise<{ lines: string[]; met: boolean }> {
  const dir = await makeTempDir();
  cleanup.add('temp dir', () => removeDir(dir));

  const started = performance.now();
  const gw = await startHttpGateway(dir, cleanup);
  const gwLegacy = await v2HttpClient(gw.url, 'legacy', cleanup, 'the gateway');
  await waitForTool(
    async () => (await gwLegacy.listTools()).tools,
    TOOL,
    'HTTP gateway',
    () => (gw.spawned.child.exitCode !== null ? withTail('the HTTP gateway exited', gw.spawned.stderrTail()) : undefined),
  );
  const pidText = (await gwLegacy.callTool({ name: PID_TOOL, arguments: {} })).content[0];
  const backendPid = pidText?.type === 'text' ? Number(pidText.text) : undefined;
  if (backendPid !== undefined) cleanup.add('reap the gateway backend', () => reapPids([backendPid], REAP_TIMEOUT_MS));
  const gwModern = await v2HttpClient(gw.url, 'modern', cleanup, 'the gateway');
  const gwLeanLegacy = await leanClient(gw.url, 'legacy', cleanup, 'the gateway');
  const gwLeanModern = await leanClient(gw.url, 'modern', cleanup, 'the gateway');
  console.log(
    `  HTTP gateway ready in ${formatSecondsShort((performance.now() - started) / 1000)} at ${gw.url} (manager pid ${gw.pid}, echo pid ${backendPid})`,
  );

  const sdk = await startSdk2Server(cleanup);
  const sdkLegacy = await v2HttpClient(sdk.url, 'legacy', cleanup, 'the v2 SDK server');
  const sdkModern = await v2HttpClient(sdk.url, 'modern', cleanup, 'the v2 SDK server');
  const sdkLeanLegacy = await leanClient(sdk.url, 'legacy', cleanup, 'the v2 SDK server');
  const sdkLeanModern = await leanClient(sdk.url, 'modern', cleanup, 'the v2 SDK server');
  console.log(`  v2 SDK HTTP server (both eras) ready at ${sdk.url} (pid ${sdk.pid})`);

  const gwWatched: Watched[] = [
    { name: 'client', pid: undefined },
    { name: 'gateway', pid: gw.pid },
    { name: 'echo', pid: backendPid },
  ];
  const sdkWatched: Watched[] = [
    { name: 'client', pid: undefined },
    { name: 'server', pid: sdk.pid },
  ];
  const targets: Target[] = [
    { label: 'lean legacy → gateway → echo.mjs', call: leanCall(gwLeanLegacy, TOOL), watched: gwWatched },
    { label: 'lean modern → gateway → echo.mjs', call: leanCall(gwLeanModern, TOOL), watched: gwWatched },
    { label: 'lean legacy → v2 SDK server', call: leanCall(sdkLeanLegacy, 'echo'), watched: sdkWatched },
    { label: 'lean modern → v2 SDK server', call: leanCall(sdkLeanModern, 'echo'), watched: sdkWatched },
    { label: 'v2 legacy → gateway → echo.mjs', call: v2Call(gwLegacy, TOOL), watched: gwWatched },
    { label: 'v2 modern → gateway → echo.mjs', call: v2Call(gwModern, TOOL), watched: gwWatched },
    { label: 'v2 legacy → v2 SDK server', call: v2Call(sdkLegacy, 'echo'), watched: sdkWatched },
    { label: 'v2 modern → v2 SDK server', call: v2Call(sdkModern, 'echo'), watched: sdkWatched },
  ];
  const measured = await measureAll(targets, { ...plan, seqCalls: plan.httpSeqCalls });
  const [gLL, gLM, sLL, sLM, gVL, gVM, sVL, sVM] = measured as [
    Measured,
    Measured,
    Measured,
    Measured,
    Measured,
    Measured,
    Measured,
    Measured,
  ];

  console.log('');
  console.log(
    `HTTP (127.0.0.1), both eras: ${gLL.seq.length} sequential calls per path (after warm-up, interleaved); ${CONCURRENCY} in flight for ${formatSecondsShort(gLL.load.seconds)} (after ${plan.load.warmupMs} ms warm-up per round)`,
  );
  console.log('  lean = raw node:http keep-alive POSTs; v2 = @modelcontextprotocol/client (legacy mode / pinned to 2026-07-28)');
  console.log(measuredTable(measured));

  const eras = compareEras([
    { path: 'HTTP', client: 'lean client', legacy: gLL, modern: gLM, process: 'gateway' },
    { path: 'HTTP', client: 'v2 client', legacy: gVL, modern: gVM, process: 'gateway' },
  ]);
  console.log(eras.table);

  // the legacy era's hot-path aims, held by the modern era against the v2 SDK's own modern serving
  const leanRatio = throughput(gLM) / throughput(sLM);
  const throughputMet = gLM.load.errors === 0 && leanRatio >= AIM_HTTP_LEAN_THROUGHPUT;
  const gatewayCpu = gLM.load.cpuUsPerCall.get('gateway');
  const cpuMet = gLM.load.errors === 0 && gatewayCpu !== undefined && gatewayCpu <= AIM_HTTP_GATEWAY_CPU_US;
  const ratio = (g: Measured, s: Measured) => formatRatio(throughput(g) / throughput(s));
  console.log(
    formatTable(
      ['gateway ÷ v2 SDK server, same era', 'lean client', 'v2 client', 'aim'],
      [
        ['legacy', ratio(gLL, sLL), ratio(gVL, sVL), '–'],
        ['modern', ratio(gLM, sLM), ratio(gVM, sVM), formatAim(`lean ≥ ${AIM_HTTP_LEAN_THROUGHPUT}×`, throughputMet)],
      ],
      ['left', 'right', 'right', 'left'],
    ),
  );
  const lines = [
    ...eras.lines,
    `HTTP modern lean client throughput @${CONCURRENCY}: gateway ${formatRatio(leanRatio)} the v2 SDK's own modern serving (${formatRate(throughput(gLM))} vs ${formatRate(throughput(sLM))}) (${formatAim(`≥ ${AIM_HTTP_LEAN_THROUGHPUT}×`, throughputMet)})`,
    `HTTP modern gateway CPU per call @${CONCURRENCY} (lean client): ${gatewayCpu === undefined ? '–' : `${gatewayCpu.toFixed(1)} µs`} (${formatAim(`≤ ${AIM_HTTP_GATEWAY_CPU_US} µs`, cpuMet)})`,
  ];
  return { lines, met: eras.met && throughputMet && cpuMet };
}

// ---------------------------------------------------------------------------------------
// stdio

interface StdioEnd {
  client: Client;
  pid: number | undefined;
}

/** A v2 client of `command` over stdio in `era`; closed (stdin EOF, then its process tree reaped) by the clean-up. */
async function v2StdioClient(
  command: ServerCommand,
  era: Era,
  env: Record<string, string>,
  cleanup: Cleanup,
  what: string,
): Promise<StdioEnd> {
  const transport = new StdioClientTransport({ command: command.command, args: command.args, env, cwd: REPO_ROOT, stderr: 'pipe' });
  const stderrTail = tailOf(transport.stderr);
  const client = v2Client(era);
  let pids: number[] = [];
  cleanup.add(`v2 stdio client (${era}) of ${what}`, async () => {
    await client.close();
    const left = await reapPids(pids, REAP_TIMEOUT_MS);
    if (left > 0) console.error(`  warning: ${left} LEFTOVER process(es) of ${what} killed`);
  });
  try {
    await client.connect(transport);
  } catch (error) {
    throw withTail(`${what} (${era}): connect failed: ${error instanceof Error ? error.message : String(error)}`, stderrTail());
  }
  const pid = transport.pid ?? undefined;
  if (pid !== undefined) pids = [pid];
  const got = client.getProtocolEra();
  if (got !== era) throw new Error(`${what}: the v2 client (${era}) negotiated the ${got ?? 'unknown'} era`);
  return { client, pid };
}

async function startStdioGateway(
  dir: string,
  backend: { name: string; script: string },
  era: Era,
  env: Record<string, string>,
  cleanup: Cleanup,
): Promise<{ end: StdioEnd; backendPid: number | undefined }> {
  const which = `${backend.name}-${era}`;
  const config = await managerConfig(dir, { command: process.execPath, args: [backend.script] }, [], `config-${which}.yaml`);
  const manager = ownSession({
    command: process.execPath,
    args: [...managerNodeArgs(), MAIN_JS, 'start', '--stdio', '--config', config, '--state-dir', join(dir, `st-${which}`)],
  });
  const started = performance.now();
  const backendPids: number[] = [];
  cleanup.add(`backend of the stdio gateway (${which})`, async () => {
    const left = await reapPids(backendPids, REAP_TIMEOUT_MS);
    if (left > 0) console.error(`  warning: ${left} LEFTOVER backend process(es) killed`);
  });
  const end = await v2StdioClient(manager, era, env, cleanup, `the stdio gateway`);
  await waitForTool(
    async () => (await end.client.listTools()).tools,
    TOOL,
    `stdio gateway (${backend.name}, ${era} client)`,
    () => undefined,
  );
  const backends = end.pid === undefined ? [] : childPids(end.pid);
  backendPids.push(...backends);
  const backendPid = backends.length === 1 ? backends[0] : undefined;
  console.log(
    `  stdio gateway (${backend.name}, ${era} client) ready in ${formatSecondsShort((performance.now() - started) / 1000)} (manager pid ${end.pid}, backend pid ${backendPid ?? backends.join(',')})`,
  );
  return { end, backendPid };
}

async function runStdio(plan: Plan, cleanup: Cleanup): Promise<{ lines: string[]; met: boolean }> {
  const dir = await makeTempDir();
  cleanup.add('temp dir', () => removeDir(dir));
  const env = fullEnv({ MCP_MANAGER_LOG_LEVEL: 'warn', ...DUAL_ENV });
  const echo = ownSession({ command: process.execPath, args: [DUAL_ECHO] });

  const directLegacy = await v2StdioClient(echo, 'legacy', env, cleanup, 'the dual-era echo server');
  const directModern = await v2StdioClient(echo, 'modern', env, cleanup, 'the dual-era echo server');
  console.log(`  direct dual-era echo servers ready (pids ${directLegacy.pid}, ${directModern.pid})`);
  const dual = { name: 'dual-era echo', script: DUAL_ECHO };
  const gwLegacy = await startStdioGateway(dir, dual, 'legacy', env, cleanup);
  const gwModern = await startStdioGateway(dir, dual, 'modern', env, cleanup);
  // the legacy-only 1.x backend of the gateway benchmark: the modern client's calls cross eras at the gateway
  const legacyEcho = { name: 'echo.mjs', script: echoServerCommand().args[0]! };
  const gw1Legacy = await startStdioGateway(dir, legacyEcho, 'legacy', env, cleanup);
  const gw1Modern = await startStdioGateway(dir, legacyEcho, 'modern', env, cleanup);

  const directWatched = (end: StdioEnd): Watched[] => [
    { name: 'client', pid: undefined },
    { name: 'echo', pid: end.pid },
  ];
  const gwWatched = (gw: { end: StdioEnd; backendPid: number | undefined }): Watched[] => [
    { name: 'client', pid: undefined },
    { name: 'gateway', pid: gw.end.pid },
    { name: 'echo', pid: gw.backendPid },
  ];
  const targets: Target[] = [
    { label: 'v2 legacy → echo (direct)', call: v2Call(directLegacy.client, 'echo'), watched: directWatched(directLegacy) },
    { label: 'v2 modern → echo (direct)', call: v2Call(directModern.client, 'echo'), watched: directWatched(directModern) },
    { label: 'v2 legacy → gateway → echo', call: v2Call(gwLegacy.end.client, TOOL), watched: gwWatched(gwLegacy) },
    { label: 'v2 modern → gateway → echo', call: v2Call(gwModern.end.client, TOOL), watched: gwWatched(gwModern) },
    { label: 'v2 legacy → gateway → echo.mjs', call: v2Call(gw1Legacy.end.client, TOOL), watched: gwWatched(gw1Legacy) },
    { label: 'v2 modern → gateway → echo.mjs', call: v2Call(gw1Modern.end.client, TOOL), watched: gwWatched(gw1Modern) },
  ];
  const measured = await measureAll(targets, plan);
  const [dL, dM, gL, gM, g1L, g1M] = measured as [Measured, Measured, Measured, Measured, Measured, Measured];

  console.log('');
  console.log(
    `stdio, both eras: ${gL.seq.length} sequential calls per path (after warm-up, interleaved); ${CONCURRENCY} in flight for ${formatSecondsShort(gL.load.seconds)} (after ${plan.load.warmupMs} ms warm-up per round)`,
  );
  console.log(
    '  echo = test/fixtures/servers/modern-era.mjs (v2 SDK, FIXTURE_ERA=dual); echo.mjs = the 1.x SDK fixture (legacy only); v2 = @modelcontextprotocol/client',
  );
  console.log(measuredTable(measured));
  const eras = compareEras([
    { path: 'stdio', client: 'v2 client', legacy: gL, modern: gM, process: 'gateway' },
    { path: 'stdio (echo.mjs backend)', client: 'v2 client', legacy: g1L, modern: g1M, process: 'gateway' },
  ]);
  console.log(eras.table);
  const ratio = (g: Measured, d: Measured) => formatRatio(throughput(g) / throughput(d));
  console.log(
    formatTable(
      ['gateway ÷ direct, same era', `throughput @${CONCURRENCY}`],
      [
        ['legacy', ratio(gL, dL)],
        ['modern', ratio(gM, dM)],
      ],
      ['left', 'right'],
    ),
  );
  const lines = [
    ...eras.lines,
    `stdio v2 client throughput @${CONCURRENCY}, gateway ÷ direct: legacy ${ratio(gL, dL)}, modern ${ratio(gM, dM)} (no aim: for reading the above)`,
  ];
  return { lines, met: eras.met };
}

// ---------------------------------------------------------------------------------------
// module

async function runEras(options: BenchOptions): Promise<BenchResult> {
  if (!existsSync(MAIN_JS)) throw new Error(`no build at ${MAIN_JS}: run \`npm run build\` (or \`npm run bench\`)`);
  const plan = planFor(options);
  console.log(
    `eras: tool calls through mcp-manager in the 2025-11-25 and ${MODERN} eras, each beside its baseline; ${plan.rounds} round(s) alternating the order`,
  );
  const note = managerNote();
  if (note) console.log(`  note: ${note}`);
  console.log(`  machine: ${cpus().length} CPUs, load average ${formatLoad()} (client, gateway and servers share these cores)`);

  const summary: string[] = [];
  let aimsMet = true;
  for (const [section, run] of [
    ['HTTP', runHttp],
    ['stdio', runStdio],
  ] as const) {
    console.log('');
    console.log(`${section}…`);
    const cleanup = new Cleanup();
    try {
      const result = await run(plan, cleanup);
      summary.push(...result.lines);
      aimsMet &&= result.met;
    } finally {
      await cleanup.runAll();
    }
  }
  console.log('');
  console.log(`  load average after: ${formatLoad()}`);
  summary.push(`load average at the end: ${formatLoad()}`);
  return { summary, aimsMet };
}

export const eras: BenchModule = {
  name: 'eras',
  description: 'the gateway in both protocol eras (2025-11-25, 2026-07-28) over HTTP and stdio, each beside its baseline',
  run: runEras,
};
