import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, EventFrom, EventObject, InputFrom, SnapshotFrom } from 'xstate';
import { getAdjacencyMap, getShortestPaths, toDirectedGraph, type DirectedGraphNode, type TraversalOptions } from 'xstate/graph';
import { serverMachine } from '../../machines/server.machine.js';
import { supervisorMachine } from '../../machines/supervisor.machine.js';
import { spec } from './harness.js';

function allNodes(node: DirectedGraphNode): DirectedGraphNode[] {
  return [node, ...node.children.flatMap(allNodes)];
}

/** Every event type some transition of the machine listens for, with a plausible payload. */
function eventsOf<T extends EventObject>(machine: AnyStateMachine, payloads: Record<string, object>): T[] {
  const types = new Set<string>(
    allNodes(toDirectedGraph(machine)).flatMap((n) => n.edges.map((e): string => String(e.transition.eventType))),
  );
  return [...types].filter((t) => t !== '').map((type) => ({ type, ...(payloads[type] ?? {}) }) as T);
}

describe('server chart reachability (xstate/graph)', () => {
  const events = eventsOf<EventFrom<typeof serverMachine>>(serverMachine, {
    'xstate.done.actor.launch': { output: { pid: 1, tools: ['t'], startedAt: 0 } },
    'xstate.error.actor.launch': { error: { code: 'SERVER_EXITED', message: 'x', exitCode: 1, signal: null, stderrTail: [] } },
    'server.exited': { exitCode: 1, signal: null, stderrTail: [] },
    'health.bad': { reason: 'probe' },
    'health.restart': { code: 'MEMORY_LIMIT', reason: 'limit' },
    'server.catalog': { tools: [] },
  });
  const options = {
    input: { instance: 'a', spec: spec({ maxRestarts: 1, health: { downAfter: 1, upAfter: 1, criticalGraceMs: 10 } }), autoStart: true },
    events,
    serializeState: (s) =>
      JSON.stringify([s.value, s.context.afterStop, s.context.lastError?.code ?? null, Math.min(s.context.recentRestarts, 2)]),
  } satisfies TraversalOptions<SnapshotFrom<typeof serverMachine>, EventFrom<typeof serverMachine>, InputFrom<typeof serverMachine>>;
  const paths = getShortestPaths(serverMachine, options);
  const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));

  it('reaches every state of DESIGN §3', () => {
    for (const state of ['stopped', 'starting', 'restarting', 'stopping', 'draining', 'failed', 'removed']) {
      expect(reached, state).toContain(JSON.stringify(state));
    }
    for (const tier of ['healthy', 'degraded', 'unhealthy', 'critical']) {
      expect(reached, tier).toContain(JSON.stringify({ running: tier }));
    }
  });

  it('has no state node that no path reaches', () => {
    const leaves = allNodes(toDirectedGraph(serverMachine))
      .map((n) => n.stateNode)
      .filter((n) => n.type !== 'compound' && n.path.length > 0)
      .map((n) => (n.path.length === 1 ? JSON.stringify(n.path[0]) : JSON.stringify({ [n.path[0]!]: n.path[1] })));
    // transient decision states are passed through, never rested in
    const resting = leaves.filter((l) => !['"init"', '"deciding"', '"afterStop"'].includes(l));
    expect(resting.filter((l) => !reached.has(l))).toEqual([]);
  });

  it('every event the chart declares changes something from some reachable state', () => {
    const map = getAdjacencyMap(serverMachine, options);
    const live = new Set<string>();
    for (const { state, transitions } of Object.values(map) as { state: SnapshotFrom<typeof serverMachine>; transitions: object }[]) {
      const before = JSON.stringify([state.value, state.context]);
      for (const step of Object.values(transitions)) {
        const { event, state: next } = step as { event: EventObject; state: typeof state };
        if (JSON.stringify([next.value, next.context]) !== before || next.status !== state.status) live.add(event.type);
      }
    }
    expect(events.map((e) => e.type).filter((t) => !live.has(t))).toEqual([]);
  });
});

describe('supervisor chart reachability', () => {
  it('reaches running, shuttingDown and stopped', () => {
    const paths = getShortestPaths(supervisorMachine, {
      input: { servers: [] },
      events: [{ type: 'manager.shutdown' }, { type: 'xstate.done.actor.stopAll' }],
      serializeState: (s) => JSON.stringify(s.value),
    });
    expect(paths.map((p) => p.state.value).sort()).toEqual(['running', 'shuttingDown', 'stopped']);
  });
});
