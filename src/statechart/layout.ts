/**
 * Lays a chart out with ELK (the layered algorithm Stately's visualizer uses): nested
 * states as boxes inside their parent, transitions as routed edges with their labels.
 * The result is plain coordinates (all relative to the drawing's origin) that the page
 * draws as SVG. A machine's layout never changes while the manager runs, so callers
 * compute it once.
 */
import { createRequire } from 'node:module';
import type ElkApi from 'elkjs/lib/elk-api.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { Chart, ChartState } from './chart.js';

export interface PlacedState {
  id: string;
  key: string;
  type: ChartState['type'];
  initial: boolean;
  tags: string[];
  /** Under the name: invoked actors and transitions that stay in the state. */
  notes: string[];
  compound: boolean;
  depth: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  id: string;
  source: string;
  target: string;
  /** One line per transition between the same two states. */
  lines: string[];
  /** Kinds of the transitions drawn (`after` edges are dashed). */
  kinds: string[];
  points: { x: number; y: number }[];
  label: { x: number; y: number; width: number; height: number } | null;
}

export interface ChartLayout {
  id: string;
  width: number;
  height: number;
  states: PlacedState[];
  edges: PlacedEdge[];
  /** Transitions defined on the machine's root: taken from any state. */
  anywhere: string[];
}

/** Text metrics the page renders with (monospace notes and labels, bold names). */
export const METRICS = {
  nameSize: 13,
  nameCharWidth: 8.2,
  noteSize: 11,
  noteCharWidth: 6.7,
  tagCharWidth: 6,
  lineHeight: 14,
  /** The tags' line under the name, when a state has tags. */
  tagsHeight: 13,
  padding: 10,
} as const;

const noteWidth = (text: string) => Math.ceil(text.length * METRICS.noteCharWidth);

function notesOf(state: ChartState): string[] {
  const notes = state.invokes.map((src) => `invoke ${src}`);
  for (const text of new Set(state.internal)) notes.push(text);
  return notes;
}

/** ELK in this thread (its bundled build: no worker of its own). */
const ELK = createRequire(import.meta.url)('elkjs/lib/elk.bundled.js') as typeof ElkApi.default;

export async function layoutChart(chart: Chart): Promise<ChartLayout> {
  const elk = new ELK();
  const info = new Map<string, { state: ChartState; notes: string[]; depth: number }>();

  const nodeOf = (state: ChartState, depth: number): ElkNode => {
    const notes = notesOf(state);
    info.set(state.id, { state, notes, depth });
    const nameWidth = Math.ceil(state.key.length * METRICS.nameCharWidth);
    const tagsWidth = Math.ceil(state.tags.join(' · ').length * METRICS.tagCharWidth);
    const width = Math.max(90, nameWidth, tagsWidth, ...notes.map(noteWidth)) + 2 * METRICS.padding;
    const header = 26 + (state.tags.length > 0 ? METRICS.tagsHeight : 0) + notes.length * METRICS.lineHeight;
    if (state.children.length === 0) {
      return { id: state.id, width, height: header + METRICS.padding };
    }
    return {
      id: state.id,
      layoutOptions: {
        'elk.padding': `[top=${header + 8},left=14,bottom=14,right=14]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${width}, ${header + 40})`,
      },
      children: state.children.map((child) => nodeOf(child, depth + 1)),
    };
  };

  // transitions between the same two states share one edge (one label line each)
  const merged = new Map<string, { source: string; target: string; lines: string[]; kinds: string[] }>();
  const anywhere: string[] = [];
  const keyOf = (id: string) => id.split('.').slice(1).join('.') || id;
  for (const t of chart.transitions) {
    if (t.source === chart.root.id) {
      anywhere.push(`${t.label} → ${keyOf(t.target)}`);
      continue;
    }
    const key = `${t.source}→${t.target}`;
    const entry = merged.get(key) ?? { source: t.source, target: t.target, lines: [], kinds: [] };
    entry.lines.push(t.label);
    entry.kinds.push(t.kind);
    merged.set(key, entry);
  }
  const edges: ElkExtendedEdge[] = [...merged.values()].map((e, i) => ({
    id: `e${i}`,
    sources: [e.source],
    targets: [e.target],
    labels: [{ text: e.lines.join('\n'), width: Math.max(...e.lines.map(noteWidth)) + 6, height: e.lines.length * METRICS.lineHeight + 2 }],
  }));

  const graph: ElkNode = {
    id: chart.root.id,
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeLabel': '4',
      'elk.spacing.edgeEdge': '14',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
    },
    children: chart.root.children.map((child) => nodeOf(child, 0)),
    edges,
  };

  const laid = await elk.layout(graph);
  const states: PlacedState[] = [];
  const collect = (node: ElkNode) => {
    for (const child of node.children ?? []) {
      const meta = info.get(child.id)!;
      states.push({
        id: child.id,
        key: meta.state.key,
        type: meta.state.type,
        initial: meta.state.initial,
        tags: meta.state.tags,
        notes: meta.notes,
        compound: meta.state.children.length > 0,
        depth: meta.depth,
        x: child.x ?? 0,
        y: child.y ?? 0,
        width: child.width ?? 0,
        height: child.height ?? 0,
      });
      collect(child);
    }
  };
  collect(laid);

  const mergedList = [...merged.values()];
  const placedEdges: PlacedEdge[] = allEdges(laid).map((edge) => {
    const index = Number(edge.id.slice(1));
    const source = mergedList[index]!;
    const points = (edge.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    const label = edge.labels?.[0];
    return {
      id: edge.id,
      source: source.source,
      target: source.target,
      lines: source.lines,
      kinds: source.kinds,
      points: points.map(({ x, y }) => ({ x, y })),
      label: label === undefined ? null : { x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 },
    };
  });

  return { id: chart.id, width: laid.width ?? 0, height: laid.height ?? 0, states, edges: placedEdges, anywhere };
}

/** ELK may move an edge into the node that contains both ends: gather them from everywhere. */
function allEdges(node: ElkNode): ElkExtendedEdge[] {
  return [...(node.edges ?? []), ...(node.children ?? []).flatMap(allEdges)];
}
