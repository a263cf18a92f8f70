/**
 * Process statistics for whole process groups. The only user of pidusage: it keeps a
 * per-pid history (CPU is measured since that pid's previous sample), so every pid is
 * sampled from here, in one pidusage call per batch. Requests made in the same turn
 * of the event loop share one /proc scan and one pidusage call.
 *
 * pidusage has no per-pid forget: the history of a pid we stop sampling (it exited,
 * its instance was unwatched) expires after `maxage`, which also closes the file
 * descriptor it caches. `pidusage.clear()` drops every pid's history at once (and the
 * cached descriptors with it, unclosed), so it runs only on close, and in one repair: pidusage
 * reads a pid through the descriptor it cached, so a pid reused by a new process (say a
 * restarted server) reads as gone until that history expires. A pid /proc lists as alive
 * that pidusage cannot read means exactly that; the history is then reset.
 */
import pidusage from 'pidusage';
import { isProcessAlive, processGroups } from '../transports/process-group.js';
import { HEALTH_DEFAULTS } from './defaults.js';
import type { GroupUsage, ProcessSampler } from './types.js';

export interface ProcessSamplerOptions {
  /** How long one /proc scan serves later requests. */
  groupScanTtlMs?: number;
  /** Epoch ms (for the scan cache). */
  now?: () => number;
}

interface Request {
  leader: number;
  intervalMs: number;
  resolve: (usage: GroupUsage | null) => void;
}

/** A pid's history must outlive the gap between two samples of it. */
const maxAgeFor = (intervalMs: number) => Math.max(60_000, 3 * intervalMs);

export function createProcessSampler(options: ProcessSamplerOptions = {}): ProcessSampler {
  const ttlMs = options.groupScanTtlMs ?? HEALTH_DEFAULTS.groupScanTtlMs;
  const now = options.now ?? Date.now;
  let pending: Request[] = [];
  let scheduled = false;
  let cached: { at: number; groups: Promise<Map<number, number[]> | null> } | undefined;
  let closed = false;

  const groups = () => {
    if (!cached || now() - cached.at > ttlMs) cached = { at: now(), groups: processGroups() };
    return cached.groups;
  };

  async function flush(batch: Request[]): Promise<void> {
    const scan = await groups();
    const members = new Map<number, number[]>();
    for (const { leader } of batch) {
      if (members.has(leader)) continue;
      const group = scan?.get(leader) ?? [];
      // the leader itself even when the scan is stale or unavailable (it is checked below)
      members.set(leader, group.includes(leader) ? group : [leader, ...group]);
    }
    // a fresh look at each: the scan may be older than a member's exit, and an exited process
    // not reaped yet (a zombie) is not a member, though pidusage would still read it
    const candidates = [...new Set([...members.values()].flat())];
    const alive = await Promise.all(candidates.map((pid) => isProcessAlive(pid)));
    const pids = candidates.filter((_, i) => alive[i]);
    const maxage = maxAgeFor(Math.max(...batch.map((r) => r.intervalMs)));
    const stats = await usageOf(pids, maxage);
    for (const request of batch) {
      const live = (members.get(request.leader) ?? []).filter((pid) => stats.has(pid));
      if (live.length === 0) {
        request.resolve(null);
        continue;
      }
      let memoryBytes = 0;
      let cpuPercent = 0;
      for (const pid of live) {
        const stat = stats.get(pid)!;
        memoryBytes += stat.memory;
        cpuPercent += stat.cpu;
      }
      request.resolve({ pids: live, memoryBytes, cpuPercent: Math.round(cpuPercent * 10) / 10 });
    }
  }

  return {
    sample(leaderPid, intervalMs) {
      if (closed || !Number.isInteger(leaderPid) || leaderPid <= 0) return Promise.resolve(null);
      return new Promise<GroupUsage | null>((resolve) => {
        pending.push({ leader: leaderPid, intervalMs, resolve });
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          const batch = pending;
          pending = [];
          scheduled = false;
          flush(batch).catch(() => batch.forEach((r) => r.resolve(null)));
        });
      });
    },
    isAlive: (pid) => isProcessAlive(pid),
    close() {
      closed = true;
      pidusage.clear();
    },
  };
}

/** pidusage over many pids; pids that vanished are simply missing. Never rejects. */
async function usageOf(pids: number[], maxage: number, repair = true): Promise<Map<number, pidusage.Status>> {
  const out = new Map<number, pidusage.Status>();
  if (pids.length === 0) return out;
  let stats: Record<string, pidusage.Status | undefined> = {};
  try {
    // with several pids pidusage is graceful (a missing pid is left out); with one it rejects
    stats = await pidusage(pids, { maxage });
  } catch {
    // the one pid is gone (or unreadable: see below)
  }
  for (const pid of pids) {
    const stat = stats[pid];
    if (stat && Number.isFinite(stat.memory) && Number.isFinite(stat.cpu)) out.set(pid, stat);
  }
  const unread = repair ? pids.filter((pid) => !out.has(pid)) : [];
  if (unread.length > 0 && (await Promise.all(unread.map((pid) => isProcessAlive(pid)))).some(Boolean)) {
    // alive but unreadable: a stale cached descriptor (pid reuse); read again with fresh history
    pidusage.clear();
    return usageOf(pids, maxage, false);
  }
  return out;
}
