/**
 * Charts read from the machine definitions: every state and transition is there (none
 * written by hand), delays keep their names, guards read as written, and the ELK layout
 * nests each state inside its parent.
 */
import { and, createMachine, not, or, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { serverMachine } from '../../machines/server.machine.js';
import { supervisorMachine } from '../../machines/supervisor.machine.js';
import { activeStateIds, allStates, chartOf } from '../../src/statechart/chart.js';
import { layoutChart } from '../../src/statechart/layout.js';
import { createLayoutCache } from '../../src/statechart/layouts.js';
import { toMermaid } from '../../src/statechart/mermaid.js';
import { toTextTree } from '../../src/statechart/text.js';

describe('chartOf', () => {
  const chart = chartOf(serverMachine);

  it('has every state of the server machine, nested as defined', () => {
    const keys = allStates(chart).map((s) => s.path.join('.'));
    expect(keys).toEqual(
      Object.values(serverMachine.root.states).flatMap((node) => [node.key, ...Object.keys(node.states).map((k) => `${node.key}.${k}`)]),
    );
    const running = chart.root.children.find((s) => s.key === 'running')!;
    expect(running.type).toBe('compound');
    expect(running.children.map((s) => s.key)).toEqual(['healthy', 'degraded', 'unhealthy', 'critical']);
    expect(running.children.find((s) => s.initial)?.key).toBe('healthy');
    expect(chart.root.children.find((s) => s.initial)?.key).toBe('init');
    expect(chart.root.children.find((s) => s.key === 'removed')?.type).toBe('final');
    expect(chart.root.children.find((s) => s.key === 'starting')?.invokes).toEqual(['launch']);
  });

  it('keeps the named delay of every delayed transition', () => {
    const delayed = chart.transitions.filter((t) => t.kind === 'after');
    expect(delayed.map((t) => `${t.source} ${t.delay} ${t.target}`).sort()).toEqual(
      [
        'server.draining drainTimeout server.stopping',
        'server.restarting restartBackoff server.starting',
        'server.running.critical criticalGrace server.deciding',
        'server.starting startupTimeout server.deciding',
        'server.stopping stopDeadline server.afterStop',
      ].sort(),
    );
    for (const t of delayed) expect(t.label).toBe(`after ${t.delay}`);
    // a delayed transition with no target stays in its state
    expect(chart.root.children.find((s) => s.key === 'running')?.internal).toContain('after stableUptime');
  });

  it('labels events, invoke results, eventless transitions and guards', () => {
    const labels = chart.transitions.map((t) => `${t.source} ${t.label} → ${t.target}`);
    expect(labels).toContain('server.running server.exited → server.deciding');
    expect(labels).toContain('server.starting done: launch → server.running');
    expect(labels).toContain('server.starting error: launch → server.deciding');
    expect(labels).toContain('server.deciding always [isRestartDisallowed && isCleanExit] → server.stopping');
    expect(labels).toContain('server.running.healthy health.bad [isDropDueAfterThis] → server.running.degraded');
    // root-level transitions are taken from any state
    expect(labels).toContain('server server.remove → server.stopping');
  });

  it('reads combined guards', () => {
    const machine = setup({ guards: { a: () => true, b: () => true } }).createMachine({
      initial: 'x',
      states: {
        x: {
          on: {
            go: [
              { guard: or(['a', not('b')]), target: 'y' },
              { guard: and(['a', 'b']), target: 'y' },
            ],
          },
        },
        y: {},
      },
    });
    expect(chartOf(machine).transitions.map((t) => t.guard)).toEqual(['a || !b', 'a && b']);
  });

  it('finds the active states of a value, each once', () => {
    expect(activeStateIds(serverMachine, { running: 'degraded' })).toEqual(['server.running', 'server.running.degraded']);
    expect(activeStateIds(serverMachine, 'restarting')).toEqual(['server.restarting']);
    expect(activeStateIds(serverMachine, 'nosuch')).toEqual([]);
    expect(activeStateIds(supervisorMachine, 'shuttingDown')).toEqual(['supervisor.shuttingDown']);
  });

  it('prints a text tree and a Mermaid diagram with the active states marked', () => {
    const active = activeStateIds(serverMachine, { running: 'critical' });
    const tree = toTextTree(chart, { active });
    expect(tree).toMatch(/└─ critical .*◀ current/);
    expect(tree).toContain('after criticalGrace → deciding');
    const mermaid = toMermaid(chart, active);
    expect(mermaid).toContain('state running {');
    expect(mermaid).toContain('  critical --> deciding : after criticalGrace');
    expect(mermaid).toContain('class critical current');
    expect(toMermaid(chartOf(createMachine({ initial: 'a', states: { a: {} } })))).not.toContain('class ');
  });
});

describe('layoutChart', () => {
  it('places every state, each inside its parent, and routes every transition', async () => {
    const chart = chartOf(supervisorMachine);
    const layout = await layoutChart(chart);
    expect(layout.states.map((s) => s.id).sort()).toEqual(
      allStates(chart)
        .map((s) => s.id)
        .sort(),
    );
    for (const s of layout.states) {
      expect(s.x).toBeGreaterThanOrEqual(0);
      expect(s.y).toBeGreaterThanOrEqual(0);
      expect(s.x + s.width).toBeLessThanOrEqual(layout.width);
      expect(s.y + s.height).toBeLessThanOrEqual(layout.height);
    }
    expect(layout.edges.map((e) => `${e.source}→${e.target}`).sort()).toEqual([
      'supervisor.running→supervisor.shuttingDown',
      'supervisor.shuttingDown→supervisor.stopped',
    ]);
    for (const e of layout.edges) expect(e.points.length).toBeGreaterThanOrEqual(2);
    expect(layout.edges.find((e) => e.source === 'supervisor.shuttingDown')?.lines).toEqual(['done: stopAll', 'error: stopAll']);
  });

  it('lays the server machine out in a worker thread, once', async () => {
    const cache = createLayoutCache();
    const first = cache.layout('server');
    expect(cache.layout('server')).toBe(first);
    const layout = await first;
    const byId = new Map(layout.states.map((s) => [s.id, s]));
    const running = byId.get('server.running')!;
    for (const key of ['healthy', 'degraded', 'unhealthy', 'critical']) {
      const child = byId.get(`server.running.${key}`)!;
      expect(child.x).toBeGreaterThanOrEqual(running.x);
      expect(child.y).toBeGreaterThanOrEqual(running.y);
      expect(child.x + child.width).toBeLessThanOrEqual(running.x + running.width);
      expect(child.y + child.height).toBeLessThanOrEqual(running.y + running.height);
    }
    expect(layout.edges.some((e) => e.lines.includes('after restartBackoff'))).toBe(true);
    expect(layout.anywhere).toEqual(['server.remove → stopping', 'server.retire → stopping']);
  }, 60_000);
});
