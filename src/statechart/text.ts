/**
 * A chart as a text tree: every state with its tags and invoked actors, its transitions
 * under it (`event [guard] → target`), the active states marked.
 */
import type { Chart, ChartState } from './chart.js';

export interface TextTreeOptions {
  /** Ids of the active states (outermost first). */
  active?: readonly string[];
  /** Marks the active states (colour on a TTY). Default `◀ current`. */
  mark?: (text: string) => string;
}

export function toTextTree(chart: Chart, options: TextTreeOptions = {}): string {
  const active = new Set(options.active ?? []);
  const mark = options.mark ?? ((text: string) => text);
  const keyOf = new Map<string, string>();
  const index = (state: ChartState) => {
    keyOf.set(state.id, state.path.join('.') || state.key);
    state.children.forEach(index);
  };
  index(chart.root);
  const bySource = new Map<string, string[]>();
  for (const t of chart.transitions) {
    const list = bySource.get(t.source) ?? [];
    list.push(`${t.label} → ${keyOf.get(t.target) ?? t.target}`);
    bySource.set(t.source, list);
  }
  const lines = [`${chart.id} (machine)`];
  const details = (state: ChartState, pad: string) => {
    for (const text of bySource.get(state.id) ?? []) lines.push(`${pad}${text}`);
    for (const text of state.internal) lines.push(`${pad}${text} (stays)`);
  };
  const rootDetails = bySource.get(chart.root.id) ?? [];
  if (rootDetails.length > 0 || chart.root.internal.length > 0) {
    lines.push('│  in any state:');
    details(chart.root, '│    ');
  }
  const visit = (state: ChartState, prefix: string) => {
    state.children.forEach((child, i) => {
      const last = i === state.children.length - 1;
      const notes = [
        child.initial ? 'initial' : '',
        child.type === 'final' ? 'final' : '',
        child.tags.length > 0 ? `tags: ${child.tags.join(', ')}` : '',
        child.invokes.length > 0 ? `invokes: ${child.invokes.join(', ')}` : '',
      ].filter((n) => n !== '');
      const head = `${prefix}${last ? '└─ ' : '├─ '}${child.key}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`;
      lines.push(active.has(child.id) ? `${head}  ${mark('◀ current')}` : head);
      const inner = `${prefix}${last ? '   ' : '│  '}`;
      details(child, `${inner}${child.children.length > 0 ? '│    ' : '     '}`);
      visit(child, inner);
    });
  };
  visit(chart.root, '');
  return lines.join('\n');
}
