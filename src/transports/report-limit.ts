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
  /** `count` more were suppressed in the last `intervalMs`; `last` is the latest of them when known. */
  summary(count: number, last: Error | undefined, intervalMs: number): void;
  now?: () => number;
}

export interface ReportLimiter {
  (error: Error): void;
  /**
   * Whether the next problem would be reported one by one. false counts it as suppressed
   * already: the caller need not even build its error.
   */
  admit(): boolean;
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
    if (suppressed > 0) options.summary(suppressed, last, intervalMs);
    suppressed = 0;
    last = undefined;
  };

  /** Roll the window; true when one more may be reported one by one. */
  const open = (): boolean => {
    const t = now();
    if (t - windowStart >= intervalMs) {
      flush();
      windowStart = t;
      reported = 0;
    }
    return reported < first;
  };

  const suppress = (error: Error | undefined): void => {
    suppressed++;
    if (error) last = error;
    timer ??= setTimeout(flush, Math.max(1, windowStart + intervalMs - now())).unref();
  };

  const limiter = ((error: Error) => {
    if (open()) {
      reported++;
      options.report(error);
    } else {
      suppress(error);
    }
  }) as ReportLimiter;
  limiter.admit = () => {
    if (open()) return true;
    suppress(undefined);
    return false;
  };
  limiter.flush = flush;
  return limiter;
}
