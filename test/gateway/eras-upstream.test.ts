/**
 * A 2026-07-28 upstream behind the gateway, seen by clients of both eras: it sends no
 * unsolicited notifications, so the gateway keeps `subscriptions/listen` streams to it
 * for list changes and for resource subscriptions, opens them again when the backend
 * restarts, and carries the progress of every input round to the client that called.
 * Real manager, real modern-only backend (it refuses initialize), real SDK clients.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { waitFor } from '../helpers/processes.js';
import { REPO, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

const ERA_ASK = join(REPO, 'test/fixtures/servers/era-ask.mjs');

let cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** The manager with one modern-only era-ask backend, `ask` (`protocol: modern`: it starts only in 2026-07-28). */
async function boot(): Promise<Running & { url: string }> {
  const tmp = tempDir();
  const servers = [
    `  ask:`,
    `    command: ${process.execPath}`,
    `    args: ["${ERA_ASK}"]`,
    `    protocol: modern`,
    `    client_capabilities: { elicitation: true }`,
    `    stop_grace: 0.2`,
    `    stop_timeout: 1`,
    `    env:`,
    `      ERA_ASK: "modern"`,
    '',
  ].join('\n');
  const running = await runManager(writeConfig(tmp.dir, servers), join(tmp.dir, 'state'), { http: { host: '127.0.0.1', port: 0 } });
  cleanups.push(tmp.cleanup, () => running.manager.stop());
  await running.waitState('ask', 'healthy');
  return { ...running, url: running.manager.gatewayUrl! };
}

/** Restart the backend and wait until a new process serves. */
async function restart(m: Running): Promise<void> {
  const before = (await m.server('ask')).pid;
  await m.control.restartServer('ask');
  await m.waitState('ask', (s) => s.state === 'healthy' && s.pid !== before);
}

const textOf = (result: unknown): string => (result as { content: { text: string }[] }).content[0]!.text;

describe('a 2026-07-28 upstream behind the gateway', () => {
  it('a 2025-era client subscribes to its resource and gets updates, also after the backend restarts', async () => {
    const m = await boot();
    const client = new ClientV1({ name: 'v1', version: '1' });
    cleanups.push(() => client.close());
    const updated: string[] = [];
    client.setNotificationHandler(
      (await import('@modelcontextprotocol/sdk/types.js')).ResourceUpdatedNotificationSchema,
      (n) => void updated.push(n.params.uri),
    );
    await client.connect(new HttpV1(new URL(m.url)));
    await client.subscribeResource({ uri: 'era://note' });
    expect(textOf(await client.callTool({ name: 'ask__touch', arguments: {} }))).toBe('touched');
    await waitFor(() => updated.length === 1, { timeoutMs: 10_000, what: 'resources/updated through the listen stream' });

    await restart(m);
    // the new backend process is subscribed again: its update reaches the client
    await waitFor(
      async () => {
        await client.callTool({ name: 'ask__touch', arguments: {} });
        return updated.length >= 2;
      },
      { timeoutMs: 15_000, what: 'resources/updated from the restarted backend' },
    );

    // unsubscribed: the upstream stream is closed, no more updates
    await client.unsubscribeResource({ uri: 'era://note' });
    const seen = updated.length;
    await client.callTool({ name: 'ask__touch', arguments: {} });
    // a call after the touch returns only once the touch's notification (if any) was sent
    await client.callTool({ name: 'ask__echo', arguments: { text: 'flush' } });
    expect(updated.length).toBe(seen);
  });

  it('its list changes reach clients of both eras, also after the backend restarts', async () => {
    const m = await boot();
    const legacy = new ClientV2({ name: 'legacy', version: '1' });
    const modern = new ClientV2({ name: 'modern', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    cleanups.push(
      () => legacy.close(),
      () => modern.close(),
    );
    let legacyChanges = 0;
    let modernChanges = 0;
    legacy.setNotificationHandler('notifications/tools/list_changed', () => void legacyChanges++);
    modern.setNotificationHandler('notifications/tools/list_changed', () => void modernChanges++);
    await legacy.connect(new HttpV2(new URL(m.url)));
    await modern.connect(new HttpV2(new URL(m.url)));
    await modern.listen({ toolsListChanged: true });
    const names = async () => (await legacy.listTools()).tools.map((t) => t.name);
    expect(await names()).not.toContain('ask__grown');

    await legacy.callTool({ name: 'ask__grow', arguments: {} });
    await waitFor(() => legacyChanges > 0 && modernChanges > 0, { timeoutMs: 10_000, what: 'tools/list_changed at both clients' });
    await waitFor(async () => (await names()).includes('ask__grown'), { timeoutMs: 10_000, what: 'the grown tool in the catalog' });

    // a new process starts without the grown tool; growing it again is seen through the reopened stream
    await restart(m);
    await waitFor(async () => !(await names()).includes('ask__grown'), { timeoutMs: 10_000, what: 'the restarted catalog' });
    const [legacyBefore, modernBefore] = [legacyChanges, modernChanges];
    await legacy.callTool({ name: 'ask__grow', arguments: {} });
    await waitFor(async () => (await names()).includes('ask__grown'), { timeoutMs: 10_000, what: 'the grown tool after the restart' });
    await waitFor(() => legacyChanges > legacyBefore && modernChanges > modernBefore, {
      timeoutMs: 10_000,
      what: 'tools/list_changed at both clients after the restart',
    });
  });

  it.each(['legacy', 'modern'] as const)('progress of every input round reaches the %s client that called', async (era) => {
    const m = await boot();
    const client = new ClientV2(
      { name: era, version: '1' },
      { capabilities: { elicitation: {} }, ...(era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}) },
    );
    cleanups.push(() => client.close());
    client.setRequestHandler('elicitation/create', () => Promise.resolve({ action: 'accept' as const, content: { name: 'ada' } }));
    await client.connect(new HttpV2(new URL(m.url)));
    const progress: { progress: number; message?: string }[] = [];
    const result = await client.callTool(
      { name: 'ask__steps', arguments: {} },
      { onprogress: (p) => void progress.push({ progress: p.progress, ...(p.message === undefined ? {} : { message: p.message }) }) },
    );
    expect(textOf(result)).toBe('steps done for ada');
    // (a modern SDK client also reports its own input rounds as progress: those are not the backend's)
    expect(progress.filter((p) => !p.message?.startsWith('Fulfilling input'))).toEqual([
      { progress: 1, message: 'round 1' },
      { progress: 2, message: 'round 2' },
    ]);
  });
});
