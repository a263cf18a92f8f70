import { groupHasLiveMembers, isProcessAlive, stopProcessGroup } from '../../transports/process-group.js';

/**
 * Ending a task's process group through the shared stop ladder (zombies count as gone);
 * this adds the task runner's own TERM-then-KILL report.
 */
export { isProcessAlive as isAlive };

export type KillOutcome = 'already-gone' | 'terminated' | 'killed' | 'survived';

/** SIGTERM the group, wait up to `graceMs`, then SIGKILL it and wait for it to be gone. */
export async function killGroup(pgid: number, graceMs: number, pollMs = 25): Promise<KillOutcome> {
  if (!(await groupHasLiveMembers(pgid))) return 'already-gone';
  const result = await stopProcessGroup(pgid, { graceMs: 0, timeoutMs: graceMs, killWaitMs: 5_000, pollMs });
  if (result.escalation === 'none') return 'already-gone';
  if (result.escalation === 'SIGTERM') return 'terminated';
  return result.groupEmpty ? 'killed' : 'survived';
}
