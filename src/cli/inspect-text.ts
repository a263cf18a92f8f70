/**
 * `inspect` as text: the overview table rows, or one server's instances with their
 * context, the chart as a tree and the last transitions. Printed through print.ts.
 */
import type { InspectDetail, InspectInstance, InspectOverview } from '../control/inspect-types.js';
import { toTextTree } from '../statechart/text.js';
import type { Transition } from '../control/transitions.js';

const valueText = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => `${key}.${valueText(inner)}`)
      .join(', ');
  }
  return String(value);
};

export function overviewRows(overview: InspectOverview): string[][] {
  return [
    ['INSTANCE', 'SERVER', 'STATE', 'PID', 'RESTARTS', 'MACHINE STATE'],
    ...overview.instances.map((i) => [
      i.instance,
      i.server,
      i.state,
      i.pid === null ? '-' : String(i.pid),
      String(i.restarts),
      valueText(i.value),
    ]),
  ];
}

export function supervisorLine(overview: Pick<InspectOverview, 'supervisor'>): string {
  return `supervisor: ${valueText(overview.supervisor.value)}`;
}

const ms = (value: number | null): string => {
  if (value === null) return '-';
  if (value < 1000) return `${value} ms`;
  const s = value / 1000;
  return s < 120 ? `${Number(s.toFixed(1))} s` : `${Math.round(s / 60)} min`;
};

const exitText = (exit: InspectInstance['context']['lastExit']): string => {
  if (exit === null) return 'none';
  if (exit.signal) return `killed by ${exit.signal}`;
  return exit.exitCode === null ? 'ended' : `exit code ${exit.exitCode}`;
};

function time(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

export function transitionLine(t: Transition): string {
  const move = t.from === null ? t.to : `${t.from} → ${t.to}`;
  return `${time(t.at)}  ${t.event.padEnd(28)} ${move.padEnd(24)} ${t.reason ?? ''}`.trimEnd();
}

function instanceBlock(instance: InspectInstance): string[] {
  const c = instance.context;
  const l = c.limits;
  const lines = [
    `${instance.instance}  ${instance.state}  (${valueText(instance.value)})`,
    `  pid ${c.pid ?? '-'} · restarts ${c.restarts} (${c.restartsInWindow} of ${l.maxRestarts} within ${ms(l.restartWindowMs)}) · next backoff ${ms(c.nextBackoffMs)} (±${Math.round(l.backoff.jitter * 100)} %)`,
    `  uptime ${ms(c.uptimeMs)} · tools ${c.tools} · last exit: ${exitText(c.lastExit)}`,
  ];
  if (c.lastError) lines.push(`  last failure: ${c.lastError.code}: ${c.lastError.message}`);
  lines.push(
    `  health: ${c.health.good} good / ${c.health.bad} bad in a row (a tier down after ${c.health.downAfter} bad, up after ${c.health.upAfter} good)`,
    `  limits: restart ${l.restart} · startup ${ms(l.startupTimeoutMs)} · backoff ${ms(l.backoff.initialMs)} ×${l.backoff.multiplier} up to ${ms(l.backoff.maxMs)}, reset after ${ms(l.backoff.resetAfterMs)}` +
      `${l.maxMemoryBytes === null ? '' : ` · memory ${l.maxMemoryBytes} bytes`}${l.maxCpuPercent === null ? '' : ` · cpu ${l.maxCpuPercent} %`}`,
    '',
    `  last transitions (${instance.history.length}, oldest first):`,
    ...(instance.history.length === 0 ? ['    none yet'] : instance.history.map((t) => `    ${transitionLine(t)}`)),
  );
  return lines;
}

export function detailText(detail: InspectDetail): string {
  const lines = [supervisorLine(detail), ''];
  if (detail.instances.length === 0) lines.push(`${detail.name}: no live instance`, '');
  for (const instance of detail.instances) lines.push(...instanceBlock(instance), '');
  const first = detail.instances[0];
  lines.push(`chart (${detail.chart.id} machine, from its definition${first ? `; current state of ${first.instance} marked` : ''}):`);
  lines.push(toTextTree(detail.chart, { active: first?.active ?? [] }));
  return lines.join('\n');
}
