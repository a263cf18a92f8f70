/**
 * Rate-limited reporting of repeated problems (a backend flooding stdout with lines that
 * are not MCP): the first few in each interval are reported one by one, the rest counted
 * and reported as one line when the interval ends. Memory and log volume stay bounded
 * whatever the rate.
 */

export interface ReportLimitOptions {
  /** Reported one by one per interval. Default 5. */
  first?: number;
  /** Default 10 s. */
  intervalMs?: number;
  report(error: Error): void;
  /** `count` more were suppressed in the last `intervalMs`; `last` is the latest of them. */
  summary(count: number, last: Error, intervalMs: number): void;
  now?: () => number;
}

export interface ReportLimiter {
  (error: Error): void;
  /** Report what is still counted now (the process ended); stop the timer. */
  flush(): void;
}

export function limitReports(options: ReportLimitOptions): ReportLimiter {
  const first = options.first ?? 5;
  const intervalMs = options.intervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  let windowStart = -Infinity;
  let reported = 0;
  let suppressed = 0;
  let last: Error | undefined;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (suppressed > 0 && last) options.summary(suppressed, last, intervalMs);
    suppressed = 0;
    last = undefined;
  };

  const limiter = ((error: Error) => {
    const t = now();
    if (t - windowStart >= intervalMs) {
      flush();
      windowStart = t;
      reported = 0;
    }
    if (reported < first) {
      reported++;
      options.report(error);
      return;
    }
    suppressed++;
    last = error;
    timer ??= setTimeout(flush, Math.max(1, windowStart + intervalMs - t)).unref();
  }) as ReportLimiter;
  limiter.flush = flush;
  return limiter;
}
