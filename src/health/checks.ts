/**
 * One check's verdict, as a pure function: from the ping, the pool probes and the
 * process group's usage to restart / bad (with reasons) / good, carrying the streak
 * counters that need more than one check (wedged, CPU over the limit).
 */
import type { ProbeResult } from '../probes/types.js';
import type { HealthSettings } from './settings.js';
import { formatBytes } from './trend.js';
import type { GroupUsage } from './types.js';

export interface PingOutcome {
  ok: boolean;
  latencyMs: number;
  /** The ping hit its deadline (as opposed to failing). */
  timedOut: boolean;
  /** When it timed out: the process was still there. */
  processAlive: boolean;
  detail: string;
}

export interface Streaks {
  /** Consecutive ping timeouts while the process was alive. */
  pingTimeouts: number;
  /** Consecutive samples above max_cpu_percent. */
  cpuOver: number;
}

export interface CheckInput {
  ping: PingOutcome;
  probes: ProbeResult[];
  /** undefined: no process to sample (remote); null: the group is gone. */
  usage: GroupUsage | null | undefined;
  pid: number | null;
  settings: HealthSettings;
  streaks: Streaks;
}

export interface Verdict {
  restart: { code: 'WEDGED' | 'MEMORY_LIMIT' | 'CPU_LIMIT'; reason: string } | null;
  reasons: string[];
  streaks: Streaks;
}

export function judgeCheck(input: CheckInput): Verdict {
  const { ping, probes, usage, settings, pid } = input;
  const reasons: string[] = [];
  const streaks: Streaks = {
    pingTimeouts: ping.timedOut && ping.processAlive ? input.streaks.pingTimeouts + 1 : 0,
    cpuOver: usage && settings.maxCpuPercent !== null && usage.cpuPercent > settings.maxCpuPercent ? input.streaks.cpuOver + 1 : 0,
  };

  if (!ping.ok) reasons.push(ping.detail);
  else if (ping.latencyMs > settings.slowPingMs) {
    reasons.push(`ping took ${Math.round(ping.latencyMs)} ms (slow above ${settings.slowPingMs} ms)`);
  }
  for (const probe of probes) if (!probe.ok) reasons.push(`${probe.kind} probe: ${probe.detail}`);

  const group = usage ? `process group of ${usage.pids.length}` : '';
  if (usage && settings.maxMemoryBytes !== null) {
    const share = usage.memoryBytes / settings.maxMemoryBytes;
    if (share > 1) {
      return {
        restart: {
          code: 'MEMORY_LIMIT',
          reason: `memory ${formatBytes(usage.memoryBytes)} (${group}) exceeds max_memory ${formatBytes(settings.maxMemoryBytes)}`,
        },
        reasons,
        streaks,
      };
    }
    if (share >= settings.memoryWarnFraction) {
      reasons.push(
        `memory ${formatBytes(usage.memoryBytes)} is ${Math.round(share * 100)}% of max_memory ${formatBytes(settings.maxMemoryBytes)}`,
      );
    }
  }
  if (streaks.pingTimeouts >= settings.wedgedAfterTimeouts) {
    return {
      restart: {
        code: 'WEDGED',
        reason:
          `ping timed out ${streaks.pingTimeouts} times in a row (${settings.pingTimeoutMs} ms each) ` +
          `while the process (pid ${pid ?? '?'}) is alive: its event loop is wedged`,
      },
      reasons,
      streaks,
    };
  }
  if (usage && settings.maxCpuPercent !== null && streaks.cpuOver > 0) {
    const over = `cpu ${Math.round(usage.cpuPercent)}% (${group}) above max_cpu_percent ${settings.maxCpuPercent}%`;
    if (streaks.cpuOver >= settings.cpuLimitSamples) {
      return { restart: { code: 'CPU_LIMIT', reason: `${over} for ${streaks.cpuOver} samples in a row` }, reasons, streaks };
    }
    reasons.push(over);
  }
  return { restart: null, reasons, streaks };
}
