import { setTimeout as delay } from 'node:timers/promises';
import { groupHasLiveMembers, isProcessAlive, killGroupSync } from '../../transports/process-group.js';

/**
 * Ending a task's process group. Liveness comes from the shared process-group module
 * (zombies count as gone); this adds the task runner's own TERM-then-KILL report.
 */
export { isProcessAlive as isAlive };

async function waitUntilGone(pgid: number, ms: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupHasLiveMembers(pgid)) {
    if (Date.now() >= deadline) return false;
    await delay(pollMs);
  }
  return true;
}

export type KillOutcome = 'already-gone' | 'terminated' | 'killed' | 'survived';

/** SIGTERM the group, wait up to `graceMs`, then SIGKILL it and wait for it to be gone. */
export async function killGroup(pgid: number, graceMs: number, pollMs = 25): Promise<KillOutcome> {
  if (!groupHasLiveMembers(pgid)) return 'already-gone';
  killGroupSync(pgid, 'SIGTERM');
  if (await waitUntilGone(pgid, graceMs, pollMs)) return 'terminated';
  killGroupSync(pgid, 'SIGKILL');
  return (await waitUntilGone(pgid, 5_000, pollMs)) ? 'killed' : 'survived';
}
