/**
 * Tool-call metrics on the gateway's hot path. Each server and tool has one cached series:
 * a call costs two Map lookups, an integer increment and one observation on a cached
 * prom-client histogram child; the per-outcome counts are handed to the counter when it
 * is scraped. At most `MAX_TOOLS_PER_SERVER` tool label values per server; calls to any
 * further tool count under `_other`.
 */
import type { Counter, Histogram } from 'prom-client';

export const MAX_TOOLS_PER_SERVER = 100;
export const OTHER_TOOL = '_other';

/** ok: a result; tool_error: a result with `isError: true`; error: the call failed (JSON-RPC error). */
export type CallOutcome = 'ok' | 'tool_error' | 'error';
const OUTCOMES: readonly CallOutcome[] = ['ok', 'tool_error', 'error'];

export interface ToolCallSeries {
  /** Count one call that began at `startedMs` (a `performance.now()` reading). */
  record(outcome: CallOutcome, startedMs: number): void;
}

type HistogramChild = ReturnType<Histogram['labels']>;

class Series implements ToolCallSeries {
  ok = 0;
  tool_error = 0;
  error = 0;

  constructor(private readonly duration: HistogramChild) {}

  record(outcome: CallOutcome, startedMs: number): void {
    this.duration.observe((performance.now() - startedMs) / 1000);
    this[outcome]++;
  }
}

export class CallMetrics {
  private readonly byServer = new Map<string, Map<string, Series>>();

  constructor(private readonly duration: Histogram<'server' | 'tool'>) {}

  /** The series of one server's tool (its backend name), created on first use. */
  series(server: string, tool: string): ToolCallSeries {
    let tools = this.byServer.get(server);
    if (tools === undefined) {
      tools = new Map();
      this.byServer.set(server, tools);
    }
    const known = tools.get(tool);
    if (known !== undefined) return known;
    const named = tools.size - (tools.has(OTHER_TOOL) ? 1 : 0);
    // past the cap every further name shares the `_other` series (and is not remembered)
    const label = named < MAX_TOOLS_PER_SERVER ? tool : OTHER_TOOL;
    let series = tools.get(label);
    if (series === undefined) {
      series = new Series(this.duration.labels({ server, tool: label }));
      tools.set(label, series);
    }
    return series;
  }

  /** Set the calls counter from the counts (its `collect`, at scrape time). */
  publish(counter: Counter<'server' | 'tool' | 'outcome'>): void {
    counter.reset();
    for (const [server, tools] of this.byServer) {
      for (const [tool, series] of tools) {
        for (const outcome of OUTCOMES) counter.inc({ server, tool, outcome }, series[outcome]);
      }
    }
  }

  /** Drop every series of a server (it left the config). */
  forget(server: string): void {
    const tools = this.byServer.get(server);
    if (tools === undefined) return;
    for (const tool of tools.keys()) this.duration.remove({ server, tool });
    this.byServer.delete(server);
  }
}
