/**
 * A chart as a Mermaid `stateDiagram-v2`, with the active states marked (class `current`),
 * ready to paste into docs or an issue.
 */
import { allStates, type Chart, type ChartState } from './chart.js';

/** Mermaid ids: the state's key when unique in the machine, else its path; `[A-Za-z0-9_]` only. */
export function mermaidIds(chart: Chart): Map<string, string> {
  const states = allStates(chart);
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s.key, (counts.get(s.key) ?? 0) + 1);
  const ids = new Map<string, string>();
  for (const s of states) ids.set(s.id, sanitize(counts.get(s.key) === 1 ? s.key : s.path.join('_')));
  return ids;
}

function sanitize(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(clean) ? clean : `s_${clean}`;
}

/** Mermaid treats `:` and `;` specially in labels; keep the text readable without them. */
function labelText(label: string): string {
  return label.replace(/[;:]/g, ' ').replace(/\s+/g, ' ').trim();
}

export function toMermaid(chart: Chart, activeIds: readonly string[] = []): string {
  const ids = mermaidIds(chart);
  const id = (stateId: string) => ids.get(stateId) ?? sanitize(stateId);
  const lines = ['stateDiagram-v2'];
  const byParent = new Map<string, ChartState>();
  const visit = (state: ChartState, depth: number) => {
    const pad = '  '.repeat(depth);
    for (const child of state.children) {
      byParent.set(child.id, state);
      if (child.children.length > 0) {
        lines.push(`${pad}state ${id(child.id)} {`);
        visit(child, depth + 1);
        lines.push(`${pad}}`);
      } else {
        lines.push(`${pad}state ${id(child.id)}`);
      }
    }
    const first = state.children.find((c) => c.initial);
    if (first) lines.push(`${pad}[*] --> ${id(first.id)}`);
    for (const child of state.children) if (child.type === 'final') lines.push(`${pad}${id(child.id)} --> [*]`);
  };
  visit(chart.root, 1);
  const fromAnywhere: string[] = [];
  for (const t of chart.transitions) {
    if (t.source === chart.root.id) {
      fromAnywhere.push(`${labelText(t.label)} → ${id(t.target)}`);
      continue;
    }
    lines.push(`  ${id(t.source)} --> ${id(t.target)} : ${labelText(t.label)}`);
  }
  if (fromAnywhere.length > 0) {
    const anchor = chart.transitions.find((t) => t.source === chart.root.id)!.target;
    lines.push(`  note right of ${id(anchor)}`, `    from any state`, ...fromAnywhere.map((text) => `    ${text}`), '  end note');
  }
  const active = new Set(activeIds);
  const current = allStates(chart).filter((s) => active.has(s.id) && s.children.length === 0);
  if (current.length > 0) {
    lines.push('  classDef current fill:#fde68a,stroke:#b45309,stroke-width:3px');
    lines.push(`  class ${current.map((s) => id(s.id)).join(',')} current`);
  }
  return `${lines.join('\n')}\n`;
}
