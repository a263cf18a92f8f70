/**
 * A statechart as plain data, read from the machine definition itself (its state nodes
 * and their transitions): what the `/ui` view lays out and `inspect` prints. Nothing here
 * is written by hand per machine, so the picture cannot drift from the code.
 */
import { getStateNodes, type AnyStateMachine, type AnyStateNode, type StateValue } from 'xstate';

export type ChartStateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartState {
  /** The state node's id, e.g. `server.running.healthy`. */
  id: string;
  /** Its key in the parent, e.g. `healthy`. */
  key: string;
  /** Keys from the machine's root, e.g. `['running', 'healthy']` (empty for the root). */
  path: string[];
  type: ChartStateType;
  /** The parent's initial child. */
  initial: boolean;
  tags: string[];
  /** Sources of the actors invoked while in this state. */
  invokes: string[];
  /** Transitions that change no state (actions only): their labels. */
  internal: string[];
  children: ChartState[];
}

export type ChartTransitionKind = 'event' | 'after' | 'always' | 'done' | 'error';

export interface ChartTransition {
  source: string;
  target: string;
  /** The event type as the machine names it (`server.exited`, `xstate.after.restartBackoff...`). */
  event: string;
  kind: ChartTransitionKind;
  /** The named delay of an `after` transition (`restartBackoff`), or its number of ms. */
  delay?: string;
  /** The guard, e.g. `isIntensityExceeded` or `isRestartDisallowed && isCleanExit`. */
  guard?: string;
  /** What a reader sees: `after restartBackoff`, `server.stop`, `always [isX]`. */
  label: string;
}

export interface Chart {
  /** The machine's id (`server`, `supervisor`). */
  id: string;
  root: ChartState;
  /** Transitions between states, in definition order. Those defined on the root are `source === root.id`. */
  transitions: ChartTransition[];
}

/** The chart of a machine, walked from its root state node. */
export function chartOf(machine: AnyStateMachine): Chart {
  const transitions: ChartTransition[] = [];
  const root = stateOf(machine.root, true, transitions);
  return { id: machine.root.id, root, transitions };
}

function stateOf(node: AnyStateNode, initial: boolean, transitions: ChartTransition[]): ChartState {
  const initialIds = new Set((node.initial?.target ?? []).map((t) => t.id));
  const internal: string[] = [];
  for (const definition of definitionsOf(node)) {
    const targets = definition.targets;
    if (targets.length === 0) {
      internal.push(definition.label);
      continue;
    }
    for (const target of targets) {
      const { targets: _targets, ...rest } = definition;
      transitions.push({ ...rest, source: node.id, target });
    }
  }
  return {
    id: node.id,
    key: node.key,
    path: [...node.path],
    type: node.type,
    initial,
    tags: [...node.tags],
    invokes: node.invoke.map((i) => (typeof i.src === 'string' ? i.src : i.id)),
    internal,
    children: Object.values(node.states).map((child) => stateOf(child, initialIds.has(child.id), transitions)),
  };
}

interface Definition extends Omit<ChartTransition, 'source' | 'target'> {
  targets: string[];
}

/** Every transition of one state node: events, invoke done/error, delays, eventless. */
function definitionsOf(node: AnyStateNode): Definition[] {
  const out: Definition[] = [];
  const delayed = new Map(node.after.map((t) => [t.eventType, String(t.delay)]));
  for (const [event, list] of node.transitions) {
    for (const t of list) {
      const guard = guardName(t.guard);
      const delay = delayed.get(event);
      const kind: ChartTransitionKind =
        delay !== undefined
          ? 'after'
          : event.startsWith('xstate.done.actor.')
            ? 'done'
            : event.startsWith('xstate.error.actor.')
              ? 'error'
              : 'event';
      const base =
        kind === 'after'
          ? `after ${delay}`
          : kind === 'done'
            ? `done: ${event.slice('xstate.done.actor.'.length)}`
            : kind === 'error'
              ? `error: ${event.slice('xstate.error.actor.'.length)}`
              : event;
      out.push({
        event,
        kind,
        ...(delay === undefined ? {} : { delay }),
        ...(guard === undefined ? {} : { guard }),
        label: guard === undefined ? base : `${base} [${guard}]`,
        targets: (t.target ?? []).map((s) => s.id),
      });
    }
  }
  for (const t of node.always ?? []) {
    const guard = guardName(t.guard);
    out.push({
      event: '',
      kind: 'always',
      ...(guard === undefined ? {} : { guard }),
      label: guard === undefined ? 'always' : `always [${guard}]`,
      targets: (t.target ?? []).map((s) => s.id),
    });
  }
  return out;
}

/** A readable name for a guard: its type, or the combination of the guards it checks. */
function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string') return guard.type;
  if (typeof guard === 'function') {
    const combined = guard as { check?: { name?: string }; guards?: unknown; name?: string };
    const parts = Array.isArray(combined.guards) ? combined.guards.map((g) => guardName(g) ?? '?') : undefined;
    switch (combined.check?.name) {
      case 'checkAnd':
        return parts?.join(' && ');
      case 'checkOr':
        return parts?.join(' || ');
      case 'checkNot':
        return `!${parts?.[0] ?? '?'}`;
      default:
        return combined.name || 'guard';
    }
  }
  return 'guard';
}

/** Ids of the state nodes active in `value` (the root excluded), outermost first. */
export function activeStateIds(machine: AnyStateMachine, value: StateValue): string[] {
  try {
    const ids = getStateNodes(machine.root, value)
      .filter((node) => node !== machine.root)
      .map((node) => node.id);
    // a parent is listed once per active child
    return [...new Set(ids)];
  } catch {
    // a value that does not belong to this machine (an old snapshot): nothing is active
    return [];
  }
}

/** Every state below the root, depth first in definition order. */
export function allStates(chart: Chart): ChartState[] {
  const out: ChartState[] = [];
  const visit = (state: ChartState) => {
    for (const child of state.children) {
      out.push(child);
      visit(child);
    }
  };
  visit(chart.root);
  return out;
}
