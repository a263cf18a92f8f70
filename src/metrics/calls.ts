/**
 * Tool-call metrics on the gateway's hot path: one cached set of prom-client label
 * children per server and tool, so a call costs two Map lookups, a counter increment and
 * a histogram observation. At most `MAX_TOOLS_PER_SERVER` tool label values per server;
 * calls to any further tool count under `_other`.
 */
import type { Counter, Histogram } from 'prom-client';

export const MAX_TOOLS_PER_SERVER = 100;
export const OTHER_TOOL = '_other';

/** ok: a result; tool_error: a result with `isError: true`; error: the call failed (JSON-RPC error). */
export type CallOutcome = 'ok' | 'tool_error' | 'error';

export interface ToolCallSeries {
  /** Count one call that began at `startedMs` (a `performance.now()` reading). */
  record(outcome: CallOutcome, startedMs: number): void;
}

type Child = ReturnType<Counter['labels']>;
type HistogramChild = ReturnType<Histogram['labels']>;

class Series implements ToolCallSeries {
  constructor(
    private readonly ok: Child,
    private readonly toolError: Child,
    private readonly error: Child,
    private readonly duration: HistogramChild,
  ) {}

  record(outcome: CallOutcome, startedMs: number): void {
    this.duration.observe((performance.now() - startedMs) / 1000);
    (outcome === 'ok' ? this.ok : outcome === 'error' ? this.error : this.toolError).inc();
  }
}

export class CallMetrics {
  private readonly byServer = new Map<string, Map<string, Series>>();

  constructor(
    private readonly calls: Counter<'server' | 'tool' | 'outcome'>,
    private readonly duration: Histogram<'server' | 'tool'>,
  ) {}

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
      series = this.create(server, label);
      tools.set(label, series);
    }
    return series;
  }

  /** Drop every series of a server (it left the config). */
  forget(server: string): void {
    const tools = this.byServer.get(server);
    if (tools === undefined) return;
    for (const tool of tools.keys()) {
      for (const outcome of ['ok', 'tool_error', 'error'] as const) this.calls.remove({ server, tool, outcome });
      this.duration.remove({ server, tool });
    }
    this.byServer.delete(server);
  }

  private create(server: string, tool: string): Series {
    // every outcome is exposed from the first call on (0 until it happens)
    for (const outcome of ['ok', 'tool_error', 'error'] as const) this.calls.inc({ server, tool, outcome }, 0);
    return new Series(
      this.calls.labels({ server, tool, outcome: 'ok' }),
      this.calls.labels({ server, tool, outcome: 'tool_error' }),
      this.calls.labels({ server, tool, outcome: 'error' }),
      this.duration.labels({ server, tool }),
    );
  }
}
