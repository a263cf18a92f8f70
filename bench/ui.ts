/**
 * Live view benchmark: N light stdio servers (default 200) under one manager in this
 * process, with its `/ui` page open in Chromium (its own process), one instance selected
 * (chart drawn). Over a window holding a full health round, while a few servers are
 * killed (so transitions stream to the page):
 *
 * - the manager's event-loop delay p99 (aim < 10 ms);
 * - how long a transition takes from the feed to the page (`/ui/events`), p50 and max
 *   (aim < 100 ms), measured by a second stream opened in the page with Date.now() on
 *   both ends (one machine, one clock).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { createLogger } from '../src/logger.js';
import { startManager } from '../src/supervisor/start.js';
import { lightEchoCommand } from './lib/light-echo.js';
import { makeTempDir, managerConfigYaml, removeDir, serverName } from './lib/servers.js';
import { formatAim, formatMs, percentile } from './lib/stats.js';
import type { BenchModule, BenchOptions, BenchResult } from './lib/types.js';

const AIM_P99_MS = 10;
const AIM_LATENCY_MS = 100;
const CHROMIUM = '/usr/bin/chromium';
const HEALTH_INTERVAL_S = 5;
const KILLS = 10;

async function runUi(options: BenchOptions): Promise<BenchResult> {
  const n = options.sizes?.[0] ?? (options.quick ? 50 : 200);
  if (!existsSync(CHROMIUM)) throw new Error(`ui bench needs Chromium at ${CHROMIUM} (apt-get install chromium)`);
  console.log(`ui: ${n} light stdio servers, /ui open in Chromium, a health round every ${HEALTH_INTERVAL_S} s`);
  const dir = await makeTempDir();
  try {
    const configFile = join(dir, 'config.yaml');
    const yaml = managerConfigYaml(n, lightEchoCommand()).replace(
      /^( {4}startup_timeout: .*)$/gm,
      `$1\n    health_check_interval: ${HEALTH_INTERVAL_S}`,
    );
    await writeFile(configFile, yaml);
    const manager = await startManager({
      configFile,
      stateDir: join(dir, 'st'),
      logger: createLogger({ level: 'error' }),
      http: { host: '127.0.0.1', port: 0 },
    });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const healthy = () => manager.feed.instances().filter((id) => manager.feed.snapshotOf(id)?.hasTag('routable')).length;
      const deadline = Date.now() + 30_000 + 100 * n;
      while (healthy() < n) {
        if (Date.now() > deadline) throw new Error(`not all ${n} servers ready`);
        await sleep(100);
      }
      const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
      await page.goto(`${new URL(manager.gatewayUrl!).origin}/ui`);
      await page.waitForFunction(`document.querySelectorAll('.inst[data-state="healthy"]').length === ${n}`, undefined, {
        timeout: 60_000,
      });
      await page.click(`.inst[data-instance="${serverName(0)}"]`);
      await page.waitForSelector('svg[data-machine="server"] .state.active', { timeout: 60_000 });
      // a second stream in the page records how late each transition arrives
      await page.evaluate(() => {
        const lags: number[] = [];
        (globalThis as unknown as { lags: number[] }).lags = lags;
        const source = new EventSource('/ui/events');
        source.addEventListener('transition', (message) => {
          const { t } = JSON.parse((message as unknown as { data: string }).data) as { t: { at: number } };
          lags.push(Date.now() - t.at);
        });
        return new Promise<void>((resolve) => source.addEventListener('snapshot', () => resolve(), { once: true }));
      });

      const windowMs = HEALTH_INTERVAL_S * 1000 + 2_000;
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      for (let i = 1; i <= KILLS && i < n; i++) {
        const pid = manager.feed.snapshotOf(serverName(i))?.context.pid;
        if (pid) process.kill(pid, 'SIGKILL');
      }
      await sleep(windowMs);
      delay.disable();
      const p99Ms = delay.percentile(99) / 1e6;
      const lags = await page.evaluate(() => (globalThis as unknown as { lags: number[] }).lags);
      const rows = await page.locator('.inst').count();
      const p50 = lags.length > 0 ? percentile(lags, 50) : NaN;
      const max = lags.length > 0 ? Math.max(...lags) : NaN;
      console.log(
        `    event-loop p99 ${formatMs(p99Ms)} over ${windowMs / 1000} s; ${lags.length} transitions to the page, lag p50 ${formatMs(p50)}, max ${formatMs(max)}; ${rows} rows drawn`,
      );
      const aims = [
        { text: `event-loop p99 with /ui open during a health round ${formatMs(p99Ms)} (aim < ${AIM_P99_MS} ms)`, met: p99Ms < AIM_P99_MS },
        {
          text: `transition to the page: max ${formatMs(max)} over ${lags.length} (aim < ${AIM_LATENCY_MS} ms)`,
          met: lags.length > 0 && max < AIM_LATENCY_MS,
        },
      ];
      const summary = aims.map((a) => formatAim(`${n} servers: ${a.text}`, a.met));
      for (const line of summary) console.log(`  ${line}`);
      return { summary, aimsMet: aims.every((a) => a.met) };
    } finally {
      await browser.close();
      await manager.stop();
    }
  } finally {
    await removeDir(dir);
  }
}

export const ui: BenchModule = {
  name: 'ui',
  description: '/ui open on 200 servers: manager event-loop p99 during a health round, transition lag to the page',
  run: runUi,
};
