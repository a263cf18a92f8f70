/**
 * The protocol era of an upstream server: probed once on the server's own process, kept,
 * handed back as the SDK's `prior`, dropped after a failed start or a day. Real processes:
 * a v2 server that refuses initialize, the same in dual mode, a 1.x SDK server, and a
 * hand-written legacy server that exits on an unexpected first message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createActor, toPromise } from 'xstate';
import type { ServerConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/logger.js';
import { configKeyOf, lateProbeAnswer, priorOf, VERDICT_MAX_AGE_MS, type EraStore, type EraVerdict } from '../../src/server-actor/era.js';
import { createLaunch } from '../../src/server-actor/launch.js';
import { SessionRegistry, type Session } from '../../src/server-actor/session.js';
import { serverConfig } from '../health/helpers.js';
import { ProcessTracker, pidFromLines } from '../helpers/processes.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/servers/${name}`, import.meta.url));
const MODERN = fixture('modern-era.mjs');
const STRICT = fixture('legacy-era-strict.mjs');
const ECHO = fixture('echo.mjs');

class MemoryEras implements EraStore {
  readonly verdicts = new Map<string, EraVerdict>();
  get(server: string): unknown {
    return this.verdicts.get(server);
  }
  set(server: string, verdict: EraVerdict | undefined): void {
    if (verdict) this.verdicts.set(server, verdict);
    else this.verdicts.delete(server);
  }
}

const tracker = new ProcessTracker();
const sessions = new SessionRegistry();
const dirs: string[] = [];
afterEach(async () => {
  await Promise.allSettled(sessions.all().map((s) => s.close()));
  for (const s of sessions.all()) sessions.delete(s);
  tracker.killAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function configOf(script: string, extra: Partial<ServerConfig> = {}): ServerConfig {
  return serverConfig('era', { args: [script], stopGraceMs: 200, stopTimeoutMs: 1_000, startupTimeoutMs: 15_000, ...extra });
}

/** Run the launch actor once, as the server chart does; resolves with the live session. */
async function launch(config: ServerConfig, eras: EraStore, logLines?: string[]): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'era-'));
  dirs.push(dir);
  const logic = createLaunch({
    sessions,
    configOf: () => config,
    logFileOf: () => join(dir, 'era.log'),
    logger: logLines ? pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) }) : silentLogger(),
    clientInfo: { name: 'era-test', version: '1.0.0' },
    eras,
  });
  const actor = createActor(logic, { input: { instance: 'era' } });
  actor.start();
  try {
    await toPromise(actor);
  } finally {
    for (const s of sessions.all()) tracker.trackGroup(s.transport.pid);
  }
  return sessions.get('era')!;
}

const firstMethod = (session: Session) =>
  session.transport
    .stderrTail()
    .find((l) => l.startsWith('first-method='))
    ?.slice('first-method='.length);
const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0]?.text ?? '';

describe('protocol: auto', () => {
  it('probes a modern-only server once, keeps the verdict, and skips the probe on the next start', async () => {
    const eras = new MemoryEras();
    const config = configOf(MODERN);
    const first = await launch(config, eras);
    expect(first.client.getProtocolEra()).toBe('modern');
    expect(firstMethod(first)).toBe('server/discover');
    expect(first.catalog.tools.map((t) => t.name).sort()).toEqual(['echo', 'era', 'log_level', 'request']);
    expect(textOf(await first.client.callTool({ name: 'era', arguments: {} }))).toBe('modern');
    const verdict = eras.verdicts.get('era');
    expect(verdict).toMatchObject({ era: 'modern', config: configKeyOf(config) });
    expect(verdict?.discover).toBeDefined();
    // health checks on a modern connection: server/discover (ping is gone in 2026-07-28)
    await expect(first.client.discover()).resolves.toMatchObject({ supportedVersions: expect.arrayContaining(['2026-07-28']) as unknown });
    await first.close();

    const second = await launch(config, eras);
    expect(second.client.getProtocolEra()).toBe('modern');
    // the kept verdict was handed over: no probe went out, the first message was a real request
    await expect.poll(() => firstMethod(second)).toBeDefined();
    expect(firstMethod(second)).not.toBe('server/discover');
    expect(textOf(await second.client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
  });

  it('finds a 1.x SDK server legacy, and goes straight to initialize next time', async () => {
    const eras = new MemoryEras();
    const config = configOf(ECHO);
    const first = await launch(config, eras);
    expect(first.client.getProtocolEra()).toBe('legacy');
    expect(eras.verdicts.get('era')).toMatchObject({ era: 'legacy' });
    await expect(first.client.ping()).resolves.toEqual({});
    await first.close();
    // the legacy verdict is the SDK's prior: no server/discover
    expect(priorOf(config, eras.get('era'), Date.now())).toEqual({ kind: 'legacy' });
    const second = await launch(config, eras);
    expect(second.client.getProtocolEra()).toBe('legacy');
  });

  it('starts a server that exits on the probe again in the legacy era, and remembers it', async () => {
    const eras = new MemoryEras();
    const config = configOf(STRICT);
    const session = await launch(config, eras);
    expect(session.client.getProtocolEra()).toBe('legacy');
    expect(firstMethod(session)).toBe('initialize');
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'again' } }))).toBe('again');
    expect(eras.verdicts.get('era')).toMatchObject({ era: 'legacy' });
    await session.close();

    // next time: one process, initialize first
    const next = await launch(config, eras);
    expect(firstMethod(next)).toBe('initialize');
    expect(pidFromLines(next.transport.stderrTail(), 'strict-pid')).toBe(next.transport.pid);
  });

  it('picks the modern era of a dual server, and probes again once the verdict is a day old', async () => {
    const eras = new MemoryEras();
    const config = configOf(MODERN, { env: { FIXTURE_ERA: 'dual' } });
    const stale: EraVerdict = {
      era: 'legacy',
      at: new Date(Date.now() - VERDICT_MAX_AGE_MS - 1_000).toISOString(),
      config: configKeyOf(config),
    };
    eras.set('era', stale);
    expect(priorOf(config, stale, Date.now())).toBeUndefined();
    const session = await launch(config, eras);
    expect(firstMethod(session)).toBe('server/discover');
    expect(session.client.getProtocolEra()).toBe('modern');
    expect(eras.verdicts.get('era')).toMatchObject({ era: 'modern' });
  });

  // the probe waits a third of the startup timeout; these servers read nothing for four times that
  const slow = { startupTimeoutMs: 1_500, env: { FIXTURE_START_DELAY_MS: '2000' } };

  it('a 1.x server too slow for the probe: started in the 2025 era, its late refusal of the probe is no warning', async () => {
    const eras = new MemoryEras();
    const lines: string[] = [];
    const session = await launch(configOf(ECHO, slow), eras, lines);
    expect(session.client.getProtocolEra()).toBe('legacy');
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'late' } }))).toBe('late');
    // a refusal is what the timeout concluded: kept
    expect(eras.verdicts.get('era')).toMatchObject({ era: 'legacy' });
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logged.filter((l) => l.level >= 40)).toEqual([]);
    expect(logged.map((l) => l.msg)).toContain(
      'a late answer to the protocol-era probe (it timed out; the server went on in the 2025 era)',
    );
  });

  it('a dual server too slow for the probe: this start is in the 2025 era, and the era is not kept (probed again next time)', async () => {
    const eras = new MemoryEras();
    const lines: string[] = [];
    const config = configOf(MODERN, { ...slow, env: { ...slow.env, FIXTURE_ERA: 'dual' } });
    eras.set('era', { era: 'legacy', at: new Date(Date.now() - VERDICT_MAX_AGE_MS - 1_000).toISOString(), config: configKeyOf(config) });
    const session = await launch(config, eras, lines);
    expect(session.client.getProtocolEra()).toBe('legacy');
    expect(textOf(await session.client.callTool({ name: 'era', arguments: {} }))).toBe('legacy');
    expect(eras.verdicts.has('era')).toBe(false);
    expect(priorOf(config, eras.get('era'), Date.now())).toBeUndefined();
    const warned = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 40);
    expect(warned.map((l) => l.msg)).toEqual([
      'server answered the protocol-era probe after it timed out: this start is in the 2025 era; it is probed again next time',
    ]);
  });

  it('tells a late answer to the probe from other unknown responses', () => {
    const unknown = (reply: unknown) => new Error(`Received a response for an unknown message ID: ${JSON.stringify(reply)}`);
    expect(lateProbeAnswer(unknown({ jsonrpc: '2.0', id: 'server-discover-probe-1', result: {} }))).toBe('result');
    expect(lateProbeAnswer(unknown({ jsonrpc: '2.0', id: 'server-discover-probe-2', error: { code: -32601, message: 'x' } }))).toBe(
      'error',
    );
    expect(lateProbeAnswer(unknown({ jsonrpc: '2.0', id: 7, result: {} }))).toBeUndefined();
    expect(lateProbeAnswer(unknown({ jsonrpc: '2.0', id: 'server-discover-probe-x', result: {} }))).toBeUndefined();
    expect(lateProbeAnswer(new Error('Received a response for an unknown message ID: {not json'))).toBeUndefined();
    expect(lateProbeAnswer(new Error('something else'))).toBeUndefined();
  });

  it('ignores a verdict learnt for another configuration of the server', () => {
    const config = configOf(MODERN);
    const verdict: EraVerdict = { era: 'legacy', at: new Date().toISOString(), config: configKeyOf(configOf(ECHO)) };
    expect(priorOf(config, verdict, Date.now())).toBeUndefined();
    expect(priorOf(config, { ...verdict, config: configKeyOf(config) }, Date.now())).toEqual({ kind: 'legacy' });
    expect(priorOf(config, { nonsense: true }, Date.now())).toBeUndefined();
  });
});

describe('pinned eras', () => {
  it('protocol: legacy speaks 2025-11-25 to a dual server without probing and keeps no verdict', async () => {
    const eras = new MemoryEras();
    const session = await launch(configOf(MODERN, { env: { FIXTURE_ERA: 'dual' }, protocol: 'legacy' }), eras);
    expect(firstMethod(session)).toBe('initialize');
    expect(session.client.getProtocolEra()).toBe('legacy');
    expect(textOf(await session.client.callTool({ name: 'era', arguments: {} }))).toBe('legacy');
    expect(eras.verdicts.size).toBe(0);
  });

  it('protocol: modern fails clearly against a legacy-only server, and a kept verdict is dropped', async () => {
    const eras = new MemoryEras();
    const config = configOf(ECHO, { protocol: 'modern' });
    eras.set('era', { era: 'modern', at: new Date().toISOString(), config: 'another' });
    await expect(launch(config, eras)).rejects.toThrow(/2026-07-28/);
    expect(eras.verdicts.size).toBe(0);
  });
});
