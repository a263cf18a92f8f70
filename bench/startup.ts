/**
 * Startup benchmark: start-to-all-ready time and orchestrator RSS for N stdio servers,
 * mcp-manager against a baseline in the same run (the same servers spawned and
 * initialized directly with the SDK client). See bench/README.md.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import ts from 'typescript';
import { MANAGER_NODE_FLAGS } from '../src/cli/heap.js';
import { createControlClient } from '../src/control/client.js';
import type { StatusSnapshot } from '../src/control/types.js';
import { socketPathOf } from '../src/state/paths.js';
import {
  BOOT_MARK_IMPORT,
  killPid,
  nowEpoch,
  readCpuMs,
  readCpuMsOfAll,
  readMemory,
  reapPids,
  spawnTracked,
  waitForExit,
  type Memory,
  type Spawned,
} from './lib/proc.js';
import {
  REPO_ROOT,
  echoServerCommand,
  inOwnSession,
  makeTempDir,
  removeDir,
  writeManagerConfig,
  type ServerCommand,
} from './lib/servers.js';
import { formatAim, formatMB, formatMs, formatRatio, formatSeconds, formatSpread, formatTable, median } from './lib/stats.js';
import type { BenchModule, BenchOptions, BenchResult } from './lib/types.js';

/** Aim (issue): the manager within 1.2× of the baseline's time, RSS < 100 MB at 200 servers. */
const AIM_RATIO = 1.2;
const AIM_RSS_BYTES = 100e6;
const AIM_RSS_AT = 200;

const DEFAULT_SIZES = [10, 50, 200];
const QUICK_SIZES = [10, 50];
/**
 * Repetitions per size; the median is reported. Starting N Node servers is CPU-bound
 * (~0.35 s of CPU each), so 200 servers take ~40 s per side on 2 cores: fewer repetitions
 * for the big sizes keep the default run near 3 minutes.
 */
const repsFor = (n: number, options: BenchOptions): number => options.reps ?? (options.quick ? 1 : n >= 200 ? 1 : n >= 50 ? 2 : 3);
const WARMUP_SIZE = 5;

/**
 * Control API poll interval while waiting for all-ready. The all-ready time itself comes
 * from the manager's own clock (see runManager), so polling only needs to notice it; each
 * /status costs the manager ~1 ms of CPU per 50 servers, so poll less often for big N to
 * keep the observer's cost out of the figures.
 */
const pollMs = (n: number): number => Math.max(25, Math.min(500, 2 * n));
/** Bound on one side's startup: generous, 2 cores take a while for 200 Node servers. */
const startTimeoutMs = (n: number): number => 30_000 + 500 * n;
const STOP_TIMEOUT_MS = 60_000;
const REAP_TIMEOUT_MS = 10_000;

type Side = 'baseline' | 'manager';

/** One start-to-all-ready run of one side. Epoch-ms marks, all from the same system clock. */
interface SideRun {
  side: Side;
  n: number;
  spawnAt: number;
  /** First user code in the orchestrator (the --import boot mark); end of Node's boot. */
  bootAt: number | undefined;
  /** Where per-server work begins: the manager's run() (after modules, config, lock); the baseline's SDK imported. */
  serversFrom: number | undefined;
  /** When the last server was spawned (manager: from the "[mcp-manager] started pid" log lines, ms resolution). */
  lastSpawnAt: number | undefined;
  readyAt: number;
  memory: Memory;
  /** CPU time the orchestrator process had used at all-ready. */
  cpuMs: number | undefined;
  /** CPU time its servers had used (summed) just after all-ready. */
  serversCpuMs: number | undefined;
  stopMs: number;
  /** Server processes still alive after the orchestrator stopped (killed by the bench). */
  leftovers: number;
  /** Manager only: how late the control-API poll saw all-ready, and how many polls it took. */
  pollLagMs?: number;
  polls?: number;
}

const wallMs = (r: SideRun): number => r.readyAt - r.spawnAt;
const inProcessMs = (r: SideRun): number | undefined => (r.bootAt === undefined ? undefined : r.readyAt - r.bootAt);

// ---------------------------------------------------------------------------------------
// manager side

interface ManagerCommand {
  command: string;
  args: string[];
  note?: string;
}

/** The built CLI with plain node (what users run); tsx against src only when there is no build. */
export function managerCommand(): ManagerCommand {
  const built = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  // as the CLI launches a manager (start --daemon, the service unit): with its V8 flags
  const base = [...MANAGER_NODE_FLAGS, `--import`, BOOT_MARK_IMPORT];
  if (existsSync(built)) {
    const source = join(REPO_ROOT, 'src', 'supervisor', 'start.ts');
    const compiled = join(REPO_ROOT, 'dist', 'src', 'supervisor', 'start.js');
    const stale = existsSync(compiled) && existsSync(source) && statSync(compiled).mtimeMs < statSync(source).mtimeMs;
    return {
      command: process.execPath,
      args: [...base, built],
      ...(stale ? { note: 'dist/ looks older than src/ — run `npm run build` for current figures' } : {}),
    };
  }
  return {
    command: process.execPath,
    args: [...base, '--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts')],
    note: 'no build found: the manager runs from src through tsx, so its times include transpiling (run `npm run build`)',
  };
}

/** `<ISO time> [<instance>] [mcp-manager] started pid N: …` in a server's log. */
const STARTED_LINE = /^(\S+) (?:\[[^\]]+\] )?\[mcp-manager\] started pid /m;

/** The manager notes "<ISO time> [mcp-manager] started pid N" in each server's stderr log right after spawning it. */
async function lastSpawnFromLogs(logDir: string): Promise<number | undefined> {
  try {
    let last: number | undefined;
    for (const file of await readdir(logDir)) {
      if (file.startsWith('manager.log')) continue; // the manager's own log
      const match = STARTED_LINE.exec(await readFile(join(logDir, file), 'utf8'));
      const at = match ? Date.parse(match[1]!) : NaN;
      if (Number.isNaN(at)) return undefined;
      last = Math.max(last ?? at, at);
    }
    return last;
  } catch {
    return undefined;
  }
}

function describeStates(status: StatusSnapshot | undefined): string {
  if (!status) return 'no status yet';
  const counts = new Map<string, number>();
  for (const s of status.servers) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  return [...counts].map(([state, count]) => `${count} ${state}`).join(', ');
}

function failure(what: string, spawned: Spawned): Error {
  const tail = spawned.stderrTail().slice(-15);
  return new Error(`${what}${tail.length ? `\n  stderr:\n    ${tail.join('\n    ')}` : ''}`);
}

export async function runManager(n: number, server: ServerCommand, command: ManagerCommand): Promise<SideRun> {
  const dir = await makeTempDir();
  try {
    const configFile = await writeManagerConfig(dir, n, server);
    const stateDir = join(dir, 'st');
    const control = createControlClient(socketPathOf(stateDir), { timeoutMs: 10_000 });
    const spawned = spawnTracked(command.command, [...command.args, 'start', '--config', configFile, '--state-dir', stateDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      // the CLI's logger may not follow the config's log_level yet; keep both at warn
      env: { ...process.env, MCP_MANAGER_LOG_LEVEL: 'warn' },
    });
    let exited = false;
    void spawned.exited.then(() => (exited = true));
    const pid = spawned.child.pid!;
    let serverPids: number[] = [];
    try {
      const deadline = spawned.spawnAt + startTimeoutMs(n);
      let status: StatusSnapshot | undefined;
      let polls = 0;
      for (;;) {
        if (exited) throw failure(`manager (${n} servers) exited during startup`, spawned);
        try {
          status = await control.status();
          polls++;
        } catch {
          // not listening yet
        }
        if (status && status.servers.length === n && status.servers.every((s) => s.state === 'healthy')) break;
        const failed = status?.servers.filter((s) => s.state === 'failed' || s.state === 'critical') ?? [];
        if (failed.length > 0) throw failure(`manager (${n} servers): ${describeStates(status)}`, spawned);
        if (nowEpoch() > deadline) {
          throw failure(
            `manager (${n} servers): not all healthy after ${formatSeconds(startTimeoutMs(n))}: ${describeStates(status)}`,
            spawned,
          );
        }
        await sleep(pollMs(n));
      }
      const observedAt = nowEpoch();
      const memory = readMemory(pid);
      const cpuMs = readCpuMs(pid);

      // Precise all-ready: when did the last server become ready, by the manager's own clock?
      const detailed = await control.status({ detailed: true });
      serverPids = detailed.servers.flatMap((s) => (s.pid === null ? [] : [s.pid]));
      const serversCpuMs = serverPids.length === n ? readCpuMsOfAll(serverPids) : undefined;
      const lastSpawnAt = await lastSpawnFromLogs(join(stateDir, 'logs'));
      const managerNow = Date.parse(detailed.manager.startedAt) + detailed.manager.uptimeMs;
      const uptimes = detailed.servers.map((s) => s.uptimeMs);
      const readyAt = uptimes.every((u) => typeof u === 'number') ? Math.min(observedAt, managerNow - Math.min(...uptimes)) : observedAt;

      const stopStart = nowEpoch();
      killPid(pid, 'SIGTERM');
      const clean = await waitForExit(spawned, STOP_TIMEOUT_MS);
      const stopMs = nowEpoch() - stopStart;
      if (!clean) console.error(`  warning: manager did not stop within ${formatSeconds(STOP_TIMEOUT_MS)}; killed`);
      const leftovers = await reapPids(serverPids, REAP_TIMEOUT_MS);
      return {
        side: 'manager',
        n,
        spawnAt: spawned.spawnAt,
        bootAt: spawned.bootAt(),
        serversFrom: Date.parse(detailed.manager.startedAt),
        lastSpawnAt,
        readyAt,
        memory,
        cpuMs,
        serversCpuMs,
        stopMs,
        leftovers,
        pollLagMs: observedAt - readyAt,
        polls,
      };
    } finally {
      // on any failure: nothing of ours may outlive the run
      if (!exited) {
        killPid(pid, 'SIGTERM');
        await waitForExit(spawned, STOP_TIMEOUT_MS);
      }
      await reapPids(serverPids, REAP_TIMEOUT_MS);
    }
  } finally {
    await removeDir(dir);
  }
}

// ---------------------------------------------------------------------------------------
// baseline side

let baselineJs: string | undefined;

/** bench/lib/direct-baseline.ts as plain JS, so the baseline runs with plain node like the built manager. */
async function baselineSource(): Promise<string> {
  if (baselineJs === undefined) {
    const source = await readFile(join(REPO_ROOT, 'bench', 'lib', 'direct-baseline.ts'), 'utf8');
    baselineJs = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
  }
  return baselineJs;
}

interface BaselineMessage {
  type: 'ready' | 'error' | 'closed';
  message?: string;
  entryAt?: number;
  importedAt?: number;
  spawnedAt?: number;
  readyAt?: number;
  pids?: number[];
}

export async function runBaseline(n: number, server: ServerCommand): Promise<SideRun> {
  const js = await baselineSource();
  const spawned = spawnTracked(process.execPath, ['--import', BOOT_MARK_IMPORT, '--input-type=module', '--eval', js], {
    // bare imports in --eval code resolve from the cwd
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    // inheritEnv: the servers get the same environment as the manager's (inherit_env defaults to
    // true there). It matters: e.g. NODE_EXTRA_CA_CERTS adds ~70 ms of CPU to every Node start.
    env: {
      ...process.env,
      MCP_BENCH_BASELINE: JSON.stringify({ count: n, command: server.command, args: server.args, inheritEnv: true }),
    },
  });
  const pid = spawned.child.pid!;
  const lines = createInterface({ input: spawned.child.stdout! })[Symbol.asyncIterator]();
  const next = async (timeoutMs: number): Promise<BaselineMessage> => {
    const result = await Promise.race([lines.next(), sleep(timeoutMs, 'timeout' as const, { ref: false })]);
    if (result === 'timeout') throw failure(`baseline (${n} servers): no reply within ${formatSeconds(timeoutMs)}`, spawned);
    if (result.done) throw failure(`baseline (${n} servers) exited unexpectedly`, spawned);
    return JSON.parse(result.value) as BaselineMessage;
  };
  let pids: number[] = [];
  let stopped = false;
  try {
    const ready = await next(startTimeoutMs(n));
    if (ready.type !== 'ready') throw failure(`baseline (${n} servers): ${ready.message ?? ready.type}`, spawned);
    const memory = readMemory(pid);
    const cpuMs = readCpuMs(pid);
    pids = ready.pids ?? [];
    const serversCpuMs = pids.length === n ? readCpuMsOfAll(pids) : undefined;

    const stopStart = nowEpoch();
    spawned.child.stdin!.end();
    const clean = await waitForExit(spawned, STOP_TIMEOUT_MS);
    stopped = true;
    const stopMs = nowEpoch() - stopStart;
    if (!clean) console.error(`  warning: baseline did not stop within ${formatSeconds(STOP_TIMEOUT_MS)}; killed`);
    const leftovers = await reapPids(pids, REAP_TIMEOUT_MS);
    return {
      side: 'baseline',
      n,
      spawnAt: spawned.spawnAt,
      bootAt: spawned.bootAt(),
      serversFrom: ready.importedAt,
      lastSpawnAt: ready.spawnedAt,
      readyAt: ready.readyAt!,
      memory,
      cpuMs,
      serversCpuMs,
      stopMs,
      leftovers,
    };
  } finally {
    if (!stopped) {
      spawned.child.stdin!.end();
      await waitForExit(spawned, STOP_TIMEOUT_MS);
      await reapPids(pids, REAP_TIMEOUT_MS);
    }
  }
}

/**
 * The baseline's servers, each in its own session like the manager's (see inOwnSession),
 * unless BENCH_BASELINE=plain asks for the SDK's spawn exactly as it is.
 */
function baselineServerCommand(server: ServerCommand): ServerCommand {
  if (process.env.BENCH_BASELINE === 'plain') return server;
  return inOwnSession(server) ?? server;
}

// ---------------------------------------------------------------------------------------
// schedule and report

interface SizeResult {
  n: number;
  baseline: SideRun[];
  manager: SideRun[];
}

const medianOf = (runs: readonly SideRun[], pick: (r: SideRun) => number | undefined): number | undefined => {
  const values = runs.map(pick).filter((v): v is number => v !== undefined);
  return values.length === 0 ? undefined : median(values);
};

function progress(run: SideRun): string {
  const boot = run.bootAt === undefined ? '' : `, boot ${formatMs(run.bootAt - run.spawnAt)}`;
  const lag = run.pollLagMs === undefined ? '' : `, poll lag ${formatMs(run.pollLagMs)} (${run.polls} polls)`;
  const cpu = run.cpuMs === undefined ? '' : `, CPU ${formatSeconds(run.cpuMs)}`;
  const left = run.leftovers > 0 ? `, ${run.leftovers} LEFTOVER server(s) killed` : '';
  return (
    `    ${run.side.padEnd(8)} ${String(run.n).padStart(3)} servers: ready ${formatSeconds(wallMs(run))}${boot}, ` +
    `RSS ${formatMB(run.memory.rssBytes)}${cpu}, stop ${formatSeconds(run.stopMs)}${lag}${left}`
  );
}

async function runStartup(options: BenchOptions): Promise<BenchResult> {
  const sizes = options.sizes ?? (options.quick ? QUICK_SIZES : DEFAULT_SIZES);
  const server = echoServerCommand();
  const command = managerCommand();
  const baselineServer = baselineServerCommand(server);
  console.log(`startup: ${sizes.join(', ')} stdio servers (test/fixtures/servers/echo.mjs); median of the repetitions`);
  if (command.note) console.log(`  note: ${command.note}`);
  console.log(
    baselineServer === server
      ? "  baseline: servers in the orchestrator's session (SDK spawn as is)"
      : '  baseline: each server in its own session via setsid(1), as the manager does (BENCH_BASELINE=plain: SDK spawn as is)',
  );
  console.log(`  machine: ${cpus().length} CPUs, load average ${formatLoad()} (other work on the machine skews both sides)`);

  // warm-up: page cache, JIT of the bench itself; not reported
  console.log(`  warm-up (${WARMUP_SIZE} servers each side)…`);
  await runBaseline(WARMUP_SIZE, baselineServer);
  await runManager(WARMUP_SIZE, server, command);

  const results: SizeResult[] = [];
  for (const n of sizes) {
    const result: SizeResult = { n, baseline: [], manager: [] };
    const reps = repsFor(n, options);
    console.log(`  ${n} servers × ${reps}:`);
    for (let rep = 0; rep < reps; rep++) {
      // alternate which side goes first, so neither always runs on a warmer or busier machine
      const order: Side[] = rep % 2 === 0 ? ['baseline', 'manager'] : ['manager', 'baseline'];
      for (const side of order) {
        const run = side === 'baseline' ? await runBaseline(n, baselineServer) : await runManager(n, server, command);
        result[side].push(run);
        console.log(progress(run));
      }
    }
    results.push(result);
  }
  console.log(`  load average after: ${formatLoad()}`);
  return report(results);
}

const formatLoad = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function report(results: readonly SizeResult[]): BenchResult {
  let aimsMet = true;
  const summary: string[] = [];

  const rows = results.map(({ n, baseline, manager }) => {
    const b = median(baseline.map(wallMs));
    const m = median(manager.map(wallMs));
    const ratio = m / b;
    const met = ratio <= AIM_RATIO;
    aimsMet &&= met;
    const bIn = medianOf(baseline, inProcessMs);
    const mIn = medianOf(manager, inProcessMs);
    const inRatio = bIn !== undefined && mIn !== undefined ? formatRatio(mIn / bIn) : '–';
    summary.push(
      `startup ${n} servers: manager ${formatSeconds(m)} vs baseline ${formatSeconds(b)} = ${formatRatio(ratio)} (${formatAim(`≤${AIM_RATIO}×`, met)})`,
    );
    return [
      String(n),
      formatSpread(baseline.map(wallMs)),
      formatSpread(manager.map(wallMs)),
      formatRatio(ratio),
      formatAim(`≤${AIM_RATIO}×`, met),
      bIn === undefined ? '–' : formatSeconds(bIn),
      mIn === undefined ? '–' : formatSeconds(mIn),
      inRatio,
    ];
  });
  console.log('');
  console.log('spawn to all ready (wall, from the bench spawning the orchestrator process); median (min–max):');
  console.log(
    formatTable(
      ['N servers', 'baseline (SDK direct)', 'mcp-manager', 'ratio', 'aim', 'baseline excl. boot', 'manager excl. boot', 'ratio'],
      rows,
      ['right', 'right', 'right', 'right', 'left', 'right', 'right', 'right'],
    ),
  );

  // shutdown: the orchestrator told to stop until it and every server have exited
  const stopRows = results.map(({ n, baseline, manager }) => {
    const b = median(baseline.map((r) => r.stopMs));
    const m = median(manager.map((r) => r.stopMs));
    const ratio = m / b;
    const met = ratio <= AIM_RATIO;
    aimsMet &&= met;
    summary.push(
      `stop ${n} servers: manager ${formatSeconds(m)} vs baseline ${formatSeconds(b)} = ${formatRatio(ratio)} (${formatAim(`≤${AIM_RATIO}×`, met)})`,
    );
    return [
      String(n),
      formatSpread(baseline.map((r) => r.stopMs)),
      formatSpread(manager.map((r) => r.stopMs)),
      formatRatio(ratio),
      formatAim(`≤${AIM_RATIO}×`, met),
    ];
  });
  console.log('');
  console.log('stop (SIGTERM to the manager / stdin EOF to the baseline, until the orchestrator has exited); median (min–max):');
  console.log(
    formatTable(['N servers', 'baseline (SDK direct)', 'mcp-manager', 'ratio', 'aim'], stopRows, [
      'right',
      'right',
      'right',
      'right',
      'left',
    ]),
  );

  // where the time goes: medians per phase
  const phase = (runs: readonly SideRun[], from: (r: SideRun) => number | undefined, to: (r: SideRun) => number | undefined) =>
    medianOf(runs, (r) => {
      const a = from(r);
      const b = to(r);
      return a === undefined || b === undefined ? undefined : b - a;
    });
  const fmt = (ms: number | undefined) => (ms === undefined ? '–' : formatMs(ms));
  const fmtS = (ms: number | undefined) => (ms === undefined ? '–' : formatSeconds(ms));
  const phaseRows = results.flatMap(({ n, baseline, manager }) =>
    (
      [
        ['baseline', baseline, 'import SDK'],
        ['manager', manager, 'modules+config'],
      ] as const
    ).map(([side, runs, loadLabel]) => [
      String(n),
      side,
      fmt(
        phase(
          runs,
          (r) => r.spawnAt,
          (r) => r.bootAt,
        ),
      ),
      `${fmt(
        phase(
          runs,
          (r) => r.bootAt,
          (r) => r.serversFrom,
        ),
      )} ${loadLabel}`,
      fmt(
        phase(
          runs,
          (r) => r.serversFrom,
          (r) => r.lastSpawnAt,
        ),
      ),
      fmt(
        phase(
          runs,
          (r) => r.serversFrom,
          (r) => r.readyAt,
        ),
      ),
      fmt(medianOf(runs, wallMs)),
      fmt(medianOf(runs, (r) => r.stopMs)),
    ]),
  );
  console.log('');
  console.log('phases (medians): node boot = spawn → first user code; load = → per-server work starts;');
  console.log('  last spawn = from there until the last server process was spawned; servers = from there until all ready');
  console.log(
    formatTable(['N', 'side', 'node boot', 'load', 'last spawn', 'servers', 'total', 'stop (all exited)'], phaseRows, [
      'right',
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]),
  );

  // CPU: on a machine with few cores, N servers starting at once are CPU-bound, so CPU
  // time explains wall time better than anything else (and is less noisy)
  const cpuRows = results.map(({ n, baseline, manager }) => [
    String(n),
    fmtS(medianOf(baseline, (r) => r.cpuMs)),
    fmtS(medianOf(manager, (r) => r.cpuMs)),
    fmtS(medianOf(baseline, (r) => r.serversCpuMs)),
    fmtS(medianOf(manager, (r) => r.serversCpuMs)),
  ]);
  console.log('');
  console.log('CPU time used by all-ready (user+system, medians): the orchestrator process itself, and its servers summed');
  console.log(
    formatTable(['N servers', 'baseline orch.', 'manager orch.', 'baseline servers', 'manager servers'], cpuRows, [
      'right',
      'right',
      'right',
      'right',
      'right',
    ]),
  );

  // memory
  console.log('');
  const memRows = results.map(({ n, baseline, manager }) => {
    const rss = (runs: readonly SideRun[]) => formatMB(median(runs.map((r) => r.memory.rssBytes)));
    const peak = (runs: readonly SideRun[]) => {
      const v = medianOf(runs, (r) => r.memory.peakRssBytes);
      return v === undefined ? '–' : formatMB(v);
    };
    return [String(n), rss(baseline), peak(baseline), rss(manager), peak(manager)];
  });
  console.log('orchestrator RSS at all-ready (the process itself, not its servers); medians:');
  console.log(
    formatTable(['N servers', 'baseline RSS', 'baseline peak', 'manager RSS', 'manager peak'], memRows, [
      'right',
      'right',
      'right',
      'right',
      'right',
    ]),
  );
  const at = results.find((r) => r.n === AIM_RSS_AT) ?? results.at(-1);
  if (at) {
    const managerRss = median(at.manager.map((r) => r.memory.rssBytes));
    const baselineRss = median(at.baseline.map((r) => r.memory.rssBytes));
    const met = managerRss < AIM_RSS_BYTES;
    const verdict =
      at.n === AIM_RSS_AT
        ? formatAim(`aim < ${formatMB(AIM_RSS_BYTES)}`, met)
        : `the aim < ${formatMB(AIM_RSS_BYTES)} applies at ${AIM_RSS_AT} servers, which did not run`;
    if (at.n === AIM_RSS_AT) aimsMet &&= met;
    const line = `manager RSS at ${at.n} servers: ${formatMB(managerRss)} (${verdict}); baseline orchestrator RSS: ${formatMB(baselineRss)}`;
    console.log('');
    console.log(line);
    summary.push(line);
  }
  const leftovers = results.flatMap((r) => [...r.baseline, ...r.manager]).reduce((sum, r) => sum + r.leftovers, 0);
  if (leftovers > 0) {
    const line = `WARNING: ${leftovers} server process(es) outlived their orchestrator and were killed by the bench`;
    console.log(line);
    summary.push(line);
  }
  return { summary, aimsMet };
}

export const startup: BenchModule = {
  name: 'startup',
  description: 'start-to-all-ready time and orchestrator RSS for N stdio servers vs. the SDK-direct baseline',
  run: runStartup,
};
