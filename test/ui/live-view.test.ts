/**
 * The live statechart view in a real browser (Debian's Chromium through playwright-core)
 * against a real manager with real child processes: the tree lists every configured
 * server, a selected instance's chart is drawn from the machine definition with the
 * current state highlighted, a SIGKILL shows up live, the restart button restarts, and
 * a button request from another origin is refused. A screenshot is kept in the test's
 * temp dir.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverMachine } from '../../machines/server.machine.js';
import { allStates, chartOf } from '../../src/statechart/chart.js';
import { ECHO, echoServer, runManager, type Running } from '../supervisor/harness.js';
import { isAlive } from '../helpers/processes.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A server whose restart backoff is long enough to be seen in `restarting`. */
function slowBackoffServer(name: string): string {
  return [
    `  ${name}:`,
    `    command: ${process.execPath}`,
    `    args: ["${ECHO}"]`,
    `    stop_grace: 0.2`,
    `    stop_timeout: 1`,
    `    backoff: { initial: 1.5, max: 2, jitter: 0 }`,
    '',
  ].join('\n');
}

/** An attribute of every element a locator matches. */
function attributes(locator: Locator, name: string): Promise<(string | null)[]> {
  return locator.evaluateAll((nodes, attr: string) => nodes.map((node) => (node as { getAttribute(a: string): string | null }).getAttribute(attr)), name);
}

function post(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('/ui in Chromium', () => {
  let dir: string;
  let run: Running;
  let context: BrowserContext;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mm-ui-'));
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, `manager:\n  shutdown_timeout: 20s\nservers:\n${slowBackoffServer('alpha')}${echoServer('beta', {}, 'replicas: 2')}`);
    run = await runManager(configFile, stateDir, { http: { host: '127.0.0.1', port: 0 } });
    base = new URL(run.manager.gatewayUrl!).origin;
    await run.waitState('alpha', 'healthy');
    await run.waitState('beta', 'healthy');
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1500, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${base}/ui`);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await run?.manager.stop();
    // the screenshot stays as the test's artifact; the rest goes
    for (const name of ['state', 'profile', 'config.yaml']) rmSync(join(dir, name), { recursive: true, force: true });
  }, 60_000);

  it('lists every configured server and instance with state, pid, restarts and tools', async () => {
    await page.waitForSelector('.connection[data-state="live"]');
    const servers = await attributes(page.locator('.server-head[data-server]'), 'data-server');
    expect(servers).toEqual(['alpha', 'beta']);
    const instances = await attributes(page.locator('.inst[data-instance]'), 'data-instance');
    expect(instances).toEqual(['alpha', 'beta#1', 'beta#2']);
    const alpha = page.locator('.inst[data-instance="alpha"]');
    await expect.poll(() => alpha.getAttribute('data-state')).toBe('healthy');
    const pid = (await run.server('alpha')).pid!;
    expect(await alpha.locator('.pid').textContent()).toBe(String(pid));
    expect(Number(await alpha.locator('.tools').textContent())).toBeGreaterThan(0);
  });

  it('draws the selected instance chart from the machine definition, current state highlighted', async () => {
    await page.click('.inst[data-instance="alpha"]');
    const active = page.locator('svg[data-machine="server"] .state.active');
    await page.waitForSelector('svg[data-machine="server"] .state.active[data-id="server.running.healthy"]');
    expect(await attributes(active, 'data-id')).toEqual(['server.running', 'server.running.healthy']);
    const drawn = (await attributes(page.locator('svg[data-machine="server"] .state'), 'data-id')).sort();
    expect(drawn).toEqual(allStates(chartOf(serverMachine)).map((s) => s.id).sort());
    // delayed transitions carry their named delay
    const labels = await page.locator('svg[data-machine="server"] .edge-label text').allTextContents();
    expect(labels).toContain('after restartBackoff');
    expect(labels).toContain('after startupTimeout');
  });

  it('shows a SIGKILLed server restarting, then healthy, without a reload, with the exit in the timeline', async () => {
    // every state the row shows is recorded, however briefly (the first restart is immediate)
    await page.evaluate(() => {
      const g = globalThis as unknown as { marker: number; shown: string[]; document: { getElementById(id: string): unknown } };
      g.marker = 42;
      g.shown = [];
      type Node = { matches?(s: string): boolean; getAttribute(name: string): string | null; querySelectorAll?(s: string): Node[] };
      const note = (node: Node) => {
        if (node.matches?.('.inst[data-instance="alpha"]')) g.shown.push(node.getAttribute('data-state') ?? '');
      };
      const Observer = (globalThis as unknown as { MutationObserver: new (cb: (records: { target: Node; addedNodes: Node[] }[]) => void) => { observe(target: unknown, options: object): void } }).MutationObserver;
      new Observer((records) => {
        for (const record of records) {
          note(record.target);
          for (const added of record.addedNodes) {
            note(added);
            for (const inner of added.querySelectorAll?.('.inst') ?? []) note(inner);
          }
        }
      }).observe(g.document.getElementById('tree'), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    const before = await run.server('alpha');
    process.kill(before.pid!, 'SIGKILL');
    const row = '.inst[data-instance="alpha"]';
    await run.waitState('alpha', (s) => s.state === 'healthy' && s.pid !== before.pid);
    await page.waitForSelector(`${row}[data-state="healthy"]`, { timeout: 20_000 });
    await expect.poll(() => page.locator(`${row} .pid`).textContent()).not.toBe(String(before.pid));
    const shown = await page.evaluate(() => (globalThis as unknown as { shown: string[] }).shown);
    const restarting = shown.indexOf('restarting');
    expect(restarting).toBeGreaterThanOrEqual(0);
    expect(shown.slice(restarting)).toContain('healthy');
    expect(await page.locator(`${row} .restarts`).textContent()).toBe('1');
    await page.waitForSelector('svg[data-machine="server"] .state.active[data-id="server.running.healthy"]');
    const timeline = await page.locator('#timeline tr').allTextContents();
    expect(timeline.some((text) => text.includes('server.exited') && text.includes('SIGKILL'))).toBe(true);
    expect(timeline.some((text) => text.includes('restarting'))).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);

    // a second crash soon after waits out the backoff: the chart shows `restarting` meanwhile
    const second = await run.server('alpha');
    process.kill(second.pid!, 'SIGKILL');
    await page.waitForSelector(`${row}[data-state="restarting"]`, { timeout: 15_000 });
    await page.waitForSelector('svg[data-machine="server"] .state.active[data-id="server.restarting"]');
    await page.waitForSelector(`${row}[data-state="healthy"]`, { timeout: 20_000 });
  });

  it('restarts a server from its button', async () => {
    const before = await run.server('alpha');
    await page.click('.inst[data-instance="alpha"]');
    await page.click('button[data-action="restart"]');
    await page.waitForSelector('#action-result:has-text("restart alpha: done")', { timeout: 30_000 });
    const after = await run.waitState('alpha', (s) => s.state === 'healthy' && s.pid !== before.pid);
    expect(isAlive(before.pid!)).toBe(false);
    await expect.poll(() => page.locator('.inst[data-instance="alpha"] .pid').textContent()).toBe(String(after.pid));
    const timeline = await page.locator('#timeline tr').allTextContents();
    expect(timeline.some((text) => text.includes('server.restart'))).toBe(true);
    await page.screenshot({ path: join(dir, 'ui.png'), fullPage: true });
  });

  it('refuses a button request from another origin, or without the page header', async () => {
    const before = await run.server('beta');
    const url = `${base}/ui/api/servers/beta/restart`;
    const foreign = await post(url, { origin: 'http://evil.example', 'content-type': 'application/json', 'x-mcp-manager-ui': '1' });
    expect(foreign.status).toBe(403);
    const loopbackElsewhere = await post(url, { origin: 'http://127.0.0.1:1', 'content-type': 'application/json', 'x-mcp-manager-ui': '1' });
    expect(loopbackElsewhere.status).toBe(403);
    const formLike = await post(url, { origin: base, 'content-type': 'text/plain' });
    expect(formLike.status).toBe(403);
    const noHeader = await post(url, { origin: base, 'content-type': 'application/json' });
    expect(noHeader.status).toBe(403);
    // a cross-origin fetch from a page on another origin is stopped too
    const other = await context.newPage();
    await other.goto('about:blank');
    const status = await other.evaluate(async (target) => {
      try {
        const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mcp-manager-ui': '1' }, body: '{}' });
        return res.status;
      } catch {
        return 'blocked';
      }
    }, url);
    expect(status).not.toBe(200);
    await other.close();
    const after = await run.server('beta');
    expect(after.restarts).toBe(before.restarts);
    expect(after.instances?.map((i) => i.pid)).toEqual(before.instances?.map((i) => i.pid));
  });
});
