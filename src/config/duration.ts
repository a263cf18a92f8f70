/**
 * Durations are seconds (`30`, `0.5`) or strings with units (`"500ms"`, `"30s"`,
 * `"5m"`, `"1h"`, also compound `"1m30s"`). Parsed to milliseconds.
 */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const COMPOUND = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)/g;

export const DURATION_EXPECTED = 'expected a duration (seconds or "500ms"/"30s"/"5m")';

/** Milliseconds, or undefined when `value` is not a duration. Negative numbers parse (range is checked by the caller). */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? roundMs(value * 1000) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (NUMBER.test(text)) return roundMs(Number(text) * 1000);
  if (!COMPOUND.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return roundMs(ms);
}

/** Keep microsecond precision, drop float noise (0.7 * 1000 = 700.0000000000001). */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** `1500` → `"1.5s"`, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${ms / 1000}s`;
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 60_000}m`;
}
