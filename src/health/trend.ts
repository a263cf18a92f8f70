/** Statistics over an instance's history: latency, failure rate, memory climb. Pure functions. */

/** Exponentially weighted moving average: `alpha` is the newest value's weight. */
export function ewma(previous: number | null, value: number, alpha: number): number {
  return previous === null ? value : alpha * value + (1 - alpha) * previous;
}

/** Nearest-rank percentile (`p` in 0..100); null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

/** Share of `false` in a list of check outcomes (0 when empty). */
export function failureRate(outcomes: readonly boolean[]): number {
  if (outcomes.length === 0) return 0;
  return outcomes.filter((ok) => !ok).length / outcomes.length;
}

export interface LinearFit {
  /** Units of y per unit of x. */
  slope: number;
  /** Coefficient of determination, 0..1 (1 when y is constant). */
  r2: number;
}

/** Ordinary least squares of y on x; null with fewer than 2 points or no spread in x. */
export function leastSquares(points: readonly (readonly [number, number])[]): LinearFit | null {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, r2 };
}

export interface MemoryTrendOptions {
  minSamples: number;
  minFit: number;
  horizonMs: number;
  unboundedBytesPerMin: number;
}

export interface MemoryTrend {
  /** null until `minSamples` samples spanning some time. */
  bytesPerMin: number | null;
  /** A warning when the climb is steady and heading somewhere bad. */
  flag: string | null;
}

/**
 * Group RSS samples `[epochMs, bytes]`, oldest first. Flags a steady climb (positive
 * slope, good fit) that reaches `maxMemoryBytes` within the horizon, or, without a
 * limit, one faster than `unboundedBytesPerMin`.
 */
export function memoryTrend(
  samples: readonly (readonly [number, number])[],
  maxMemoryBytes: number | null,
  options: MemoryTrendOptions,
): MemoryTrend {
  if (samples.length < options.minSamples) return { bytesPerMin: null, flag: null };
  const t0 = samples[0]![0];
  const fit = leastSquares(samples.map(([t, bytes]) => [(t - t0) / 60_000, bytes] as const));
  if (!fit) return { bytesPerMin: null, flag: null };
  const bytesPerMin = fit.slope;
  const steady = bytesPerMin > 0 && fit.r2 >= options.minFit;
  if (!steady) return { bytesPerMin, flag: null };
  const rate = `memory climbing ${formatBytes(bytesPerMin)}/min`;
  const current = samples[samples.length - 1]![1];
  if (maxMemoryBytes !== null) {
    const remaining = maxMemoryBytes - current;
    if (remaining <= 0) return { bytesPerMin, flag: `${rate}, at or above max_memory ${formatBytes(maxMemoryBytes)}` };
    const etaMs = (remaining / bytesPerMin) * 60_000;
    if (etaMs > options.horizonMs) return { bytesPerMin, flag: null };
    return { bytesPerMin, flag: `${rate}, reaches max_memory ${formatBytes(maxMemoryBytes)} in ~${formatDuration(etaMs)}` };
  }
  if (bytesPerMin < options.unboundedBytesPerMin) return { bytesPerMin, flag: null };
  return { bytesPerMin, flag: `${rate} (no max_memory set), now ${formatBytes(current)}` };
}

const MB = 1024 * 1024;

/** 12.5 MB, 300 MB, 1.5 GB, 512 KB */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1024 * MB) return `${round(bytes / (1024 * MB))} GB`;
  if (abs >= MB) return `${round(bytes / MB)} MB`;
  if (abs >= 1024) return `${round(bytes / 1024)} KB`;
  return `${Math.round(bytes)} B`;
}

const round = (n: number) => (Math.abs(n) >= 10 ? String(Math.round(n)) : String(Math.round(n * 10) / 10));

/** 45 s, 4 min, 2.5 h */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${round(ms / 3_600_000)} h`;
}
