/**
 * Process statistics for whole process groups. The only user of pidusage: it keeps a
 * per-pid history (CPU is measured since that pid's previous sample), so every pid is
 * sampled from here, in one pidusage call per batch. Requests made in the same turn
 * of the event loop share one pidusage call.
 *
 * A group's members are followed through the `/proc` entries of the members already seen
 * and their children (`GroupMembers`); the whole of `/proc` is read only every
 * `groupScanTtlMs`, to find members that left the process tree while staying in the
 * group. (Scanning it for every round of checks cost several % of a core at 1,000 servers.)
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
import { GroupMembers, isProcessAlive, processGroups } from '../transports/process-group.js';
import { HEALTH_DEFAULTS } from './defaults.js';
import type { GroupUsage, ProcessSampler } from './types.js';

export interface ProcessSamplerOptions {
  /** How often the whole of /proc is scanned for group members outside the process tree. */
  groupScanTtlMs?: number;
  /** Epoch ms (for the scan schedule). */
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
  let lastScan: number | undefined;
  /** Followed groups by leader pid. */
  const groups = new Map<number, GroupMembers>();
  let closed = false;

  async function flush(batch: Request[]): Promise<void> {
    const leaders = [...new Set(batch.map((r) => r.leader))];
    if (lastScan === undefined || now() - lastScan >= ttlMs) {
      lastScan = now();
      const scan = await processGroups();
      if (scan !== null) {
        // groups that are gone are followed no more
        for (const leader of groups.keys()) if (!scan.has(leader)) groups.delete(leader);
        for (const leader of leaders) {
          const found = scan.get(leader);
          if (found) followed(leader).remember(found);
        }
      }
    }
    // a fresh look at each member: an exited process not reaped yet (a zombie) is not a
    // member, though pidusage would still read it
    const members = new Map<number, number[]>();
    await Promise.all(
      leaders.map(async (leader) => {
        const fresh = !groups.has(leader);
        const group = followed(leader);
        let live = group.live();
        // a group seen for the first time: its children count from this sample on
        if (fresh && live.length > 0) live = group.live();
        // the leader itself even when it leads no group of its own (or there is no /proc)
        if (!live.includes(leader) && (await isProcessAlive(leader))) live.unshift(leader);
        if (live.length === 0) groups.delete(leader);
        members.set(leader, live);
      }),
    );
    const pids = [...new Set([...members.values()].flat())];
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

  function followed(leader: number): GroupMembers {
    let group = groups.get(leader);
    if (!group) groups.set(leader, (group = new GroupMembers(leader)));
    return group;
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
      groups.clear();
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
