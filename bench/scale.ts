/**
 * Scale benchmark: 1,000 light stdio servers (test/fixtures/servers/light-echo.c, ~1 MB
 * RSS each) under one manager, each figure beside its baseline in the same run.
 *
 * - start to all ready and stop: the manager (built CLI, own process) against the same
 *   servers spawned and initialized directly with the SDK client (bench/lib/direct-baseline.ts);
 * - manager RSS at all-ready;
 * - in process (startManager), with the default health interval: event-loop delay p99 over
 *   a window holding the first full health round, and the manager's CPU while idle over the
 *   window after it (steady state: every later round, no start-up work left).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS } from '../src/config/defaults.js';
import { createLogger } from '../src/logger.js';
import { startManager } from '../src/supervisor/start.js';
import { lightEchoCommand } from './lib/light-echo.js';
import { inOwnSession, makeTempDir, removeDir, writeManagerConfig } from './lib/servers.js';
import { formatAim, formatMB, formatMs, formatRatio, formatSeconds } from './lib/stats.js';
import type { BenchModule, BenchOptions, BenchResult } from './lib/types.js';
import { managerCommand, runBaseline, runManager } from './startup.js';

const AIM_READY_RATIO = 1.2;
const AIM_STOP_RATIO = 1.2;
const AIM_RSS_BYTES = 150e6;
const AIM_P99_MS = 10;
const AIM_IDLE_CPU = 0.02;

async function inProcess(n: number, server: { command: string; args: string[] }) {
  const dir = await makeTempDir();
  try {
    const configFile = await writeManagerConfig(dir, n, server);
    const manager = await startManager({ configFile, stateDir: join(dir, 'st'), logger: createLogger({ level: 'error' }) });
    try {
      const everyReady = () => manager.feed.instances().every((id) => manager.feed.snapshotOf(id)?.hasTag('running'));
      const deadline = Date.now() + 30_000 + 100 * n;
      while (!everyReady()) {
        if (Date.now() > deadline) throw new Error(`not all ${n} servers ready in process`);
        await sleep(100);
      }
      const intervalMs = DEFAULTS.server.healthCheckIntervalMs;
      // one interval and a little more holds at least one full round of pings
      const windowMs = intervalMs + 2_000;
      const measure = async (delay?: ReturnType<typeof monitorEventLoopDelay>) => {
        const cpuBefore = process.cpuUsage();
        const wallBefore = performance.now();
        delay?.enable();
        await sleep(windowMs);
        delay?.disable();
        const cpu = process.cpuUsage(cpuBefore);
        return (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore);
      };
      // the first window holds the first round (each instance's history is created, pidusage
      // opens each pid's stat file): its event-loop p99; idle CPU is the steady state, the next window
      const delay = monitorEventLoopDelay({ resolution: 1 });
      const firstCpu = await measure(delay);
      const idleCpu = await measure();
      return { p99Ms: delay.percentile(99) / 1e6, firstCpu, idleCpu, windowMs };
    } finally {
      await manager.stop();
    }
  } finally {
    await removeDir(dir);
  }
}

async function runScale(options: BenchOptions): Promise<BenchResult> {
  const n = options.sizes?.[0] ?? (options.quick ? 200 : 1_000);
  const server = lightEchoCommand();
  const baselineServer = inOwnSession(server) ?? server;
  console.log(`scale: ${n} light stdio servers (test/fixtures/servers/light-echo.c)`);
  const baseline = await runBaseline(n, baselineServer);
  console.log(`    baseline ${n}: ready ${formatSeconds(baseline.readyAt - baseline.spawnAt)}, stop ${formatSeconds(baseline.stopMs)}`);
  const manager = await runManager(n, server, managerCommand());
  console.log(
    `    manager  ${n}: ready ${formatSeconds(manager.readyAt - manager.spawnAt)}, RSS ${formatMB(manager.memory.rssBytes)}, stop ${formatSeconds(manager.stopMs)}`,
  );
  const live = await inProcess(n, server);
  console.log(
    `    in process: event-loop p99 ${formatMs(live.p99Ms)} over ${formatSeconds(live.windowMs)} (first round), CPU ${(live.firstCpu * 100).toFixed(2)} % of a core then, ${(live.idleCpu * 100).toFixed(2)} % over the next ${formatSeconds(live.windowMs)} (idle)`,
  );

  const readyRatio = (manager.readyAt - manager.spawnAt) / (baseline.readyAt - baseline.spawnAt);
  const stopRatio = manager.stopMs / baseline.stopMs;
  const aims = [
    { text: `all ready ${formatRatio(readyRatio)} the baseline (aim ≤ ${AIM_READY_RATIO}×)`, met: readyRatio <= AIM_READY_RATIO },
    { text: `stop ${formatRatio(stopRatio)} the baseline (aim ≤ ${AIM_STOP_RATIO}×)`, met: stopRatio <= AIM_STOP_RATIO },
    {
      text: `manager RSS ${formatMB(manager.memory.rssBytes)} (aim < ${formatMB(AIM_RSS_BYTES)})`,
      met: manager.memory.rssBytes < AIM_RSS_BYTES,
    },
    { text: `event-loop p99 during a health round ${formatMs(live.p99Ms)} (aim < ${AIM_P99_MS} ms)`, met: live.p99Ms < AIM_P99_MS },
    { text: `idle CPU ${(live.idleCpu * 100).toFixed(2)} % of a core (aim < ${AIM_IDLE_CPU * 100} %)`, met: live.idleCpu < AIM_IDLE_CPU },
  ];
  const summary = aims.map((a) => formatAim(`${n} servers: ${a.text}`, a.met));
  for (const line of summary) console.log(`  ${line}`);
  return { summary, aimsMet: aims.every((a) => a.met) };
}

export const scale: BenchModule = {
  name: 'scale',
  description: '1,000 light servers: ready, stop, RSS, health-round event-loop p99, idle CPU (beside the direct baseline)',
  run: runScale,
};
