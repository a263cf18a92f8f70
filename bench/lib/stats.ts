/** Small statistics and formatting helpers shared by the benchmark modules. */

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new Error('no values');
  return [...values].sort((a, b) => a - b);
}

/** Percentile with linear interpolation between closest ranks; `p` in [0, 100]. */
export function percentile(values: readonly number[], p: number): number {
  const s = sorted(values);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export const median = (values: readonly number[]): number => percentile(values, 50);
export const min = (values: readonly number[]): number => sorted(values)[0]!;
export const max = (values: readonly number[]): number => sorted(values).at(-1)!;
export const mean = (values: readonly number[]): number => {
  if (values.length === 0) throw new Error('no values');
  return values.reduce((sum, v) => sum + v, 0) / values.length;
};

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p90: number;
}

export function summarize(values: readonly number[]): Summary {
  return { n: values.length, median: median(values), min: min(values), max: max(values), p90: percentile(values, 90) };
}

/** 412 → "0.41 s", 12_345 → "12.3 s" */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 ? s.toFixed(1) : s.toFixed(2)} s`;
}

/** Milliseconds with a sensible precision: "0.042 ms", "4.2 ms", "412 ms". */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** Microseconds: "38 µs", "3.8 µs". */
export function formatMicros(us: number): string {
  return us < 10 ? `${us.toFixed(1)} µs` : `${Math.round(us)} µs`;
}

/** Bytes as MB (10^6), the unit the aims are stated in. */
export function formatMB(bytes: number): string {
  const mb = bytes / 1e6;
  return `${mb >= 100 ? Math.round(mb) : mb.toFixed(1)} MB`;
}

export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

/** "≤1.2× ✓" / "≤1.2× ✗ (missed)" */
export function formatAim(label: string, met: boolean): string {
  return met ? `${label} ✓` : `${label} ✗ MISSED`;
}

/** "median (min–max)" for a list of timings, or just the value when there is one. */
export function formatSpread(values: readonly number[], format: (v: number) => string = formatSeconds): string {
  if (values.length === 1) return format(values[0]!);
  return `${format(median(values))} (${format(min(values))}–${format(max(values))})`;
}

export type Align = 'left' | 'right';

/**
 * A plain-text table: a header row, then rows; columns padded to their widest cell.
 * `align` per column, default left. Cells are measured in code points, so ×, ✓ and µ
 * line up.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const width = (text: string) => [...text].length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const pad = (text: string, i: number) => {
    const fill = ' '.repeat(Math.max(0, widths[i]! - width(text)));
    return align[i] === 'right' ? fill + text : text + fill;
  };
  const line = (cells: readonly string[]) =>
    headers
      .map((_, i) => pad(cells[i] ?? '', i))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
