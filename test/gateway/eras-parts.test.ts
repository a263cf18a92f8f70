/**
 * Pieces of the 2026-07-28 leg on their own: the discover aggregate and the upstream
 * resource subscriptions that listen streams share.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { aggregateCapabilities, aggregateInstructions, type BackendView } from '../../src/gateway/modern/discover.js';
import { ListenResources } from '../../src/gateway/modern/listen.js';

const backend = (server: string, capabilities: BackendView['capabilities'], instructions?: string): BackendView => ({
  server,
  capabilities,
  client: { getInstructions: () => instructions },
});

describe('discover aggregate', () => {
  it('offers tools always and the rest only when some backend serves them', () => {
    expect(aggregateCapabilities([])).toEqual({ tools: { listChanged: true } });
    expect(aggregateCapabilities([backend('a', { tools: {} }), backend('b', { prompts: {}, resources: {}, logging: {} })])).toEqual({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true },
      logging: {},
    });
    expect(aggregateCapabilities([backend('a', { resources: { subscribe: true } }), backend('b', { completions: {} })])).toEqual({
      tools: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      completions: {},
    });
  });

  it('gathers instructions under each server name, once per server', () => {
    expect(aggregateInstructions([backend('a', {})])).toBeUndefined();
    expect(
      aggregateInstructions([backend('a', {}, 'Use a.'), backend('a', {}, 'Use a.'), backend('b', {}, '  '), backend('c', {}, 'Use c.')]),
    ).toBe('## a\nUse a.\n\n## c\nUse c.');
  });
});

describe('listen resource subscriptions', () => {
  function upstream(refuse: Set<string>) {
    const calls: string[] = [];
    const held = new Set<string>();
    return {
      calls,
      held,
      resources: {
        subscribe: (uri: string) => {
          calls.push(`+${uri}`);
          return refuse.has(uri) ? Promise.reject(new Error('refused')) : Promise.resolve();
        },
        unsubscribe: (uri: string) => {
          calls.push(`-${uri}`);
          return Promise.resolve();
        },
        heldElsewhere: (uri: string) => held.has(uri),
      },
    };
  }

  it('acknowledges only what upstreams accepted, subscribes once per URI and lets go with the last stream', async () => {
    const up = upstream(new Set(['file:///refused']));
    const listen = new ListenResources(up.resources, pino({ level: 'silent' }));
    const [one, two] = await Promise.all([listen.acquire(['file:///a', 'file:///refused', 'file:///a']), listen.acquire(['file:///a'])]);
    expect(one.accepted).toEqual(['file:///a']);
    expect(two.accepted).toEqual(['file:///a']);
    expect(up.calls.filter((c) => c === '+file:///a')).toHaveLength(1);
    expect(listen.wants('file:///a')).toBe(true);
    expect(listen.wants('file:///refused')).toBe(false);
    one.release();
    one.release();
    expect(up.calls).not.toContain('-file:///a');
    two.release();
    expect(up.calls).toContain('-file:///a');
    expect(listen.wants('file:///a')).toBe(false);
  });

  it('keeps the upstream subscription a 2025-era client still holds', async () => {
    const up = upstream(new Set());
    up.held.add('file:///b');
    const listen = new ListenResources(up.resources, pino({ level: 'silent' }));
    const sub = await listen.acquire(['file:///b']);
    sub.release();
    expect(up.calls).toEqual(['+file:///b']);
  });
});
