/**
 * A server that writes mostly lines that are not MCP on stdout is not healthy: between
 * two checks, at least `minBad` unreadable lines and more of them than MCP messages make
 * the check bad (the chart then moves it to `degraded` with its usual hysteresis).
 */

export interface LineCounts {
  readonly messages: number;
  readonly bad: number;
}

export const STDOUT_NOISE_MIN_BAD = 10;

/** The reason this check is bad, or null; `before` is the count at the previous check. */
export function stdoutNoise(before: LineCounts | null, now: LineCounts | undefined, minBad = STDOUT_NOISE_MIN_BAD): string | null {
  if (now === undefined) return null;
  const bad = now.bad - (before?.bad ?? 0);
  const messages = now.messages - (before?.messages ?? 0);
  if (bad < minBad || bad <= messages) return null;
  return `wrote ${bad} stdout lines that are not MCP messages since the last check (${messages} were)`;
}
