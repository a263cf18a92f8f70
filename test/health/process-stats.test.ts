/** The process sampler against real process groups (Linux /proc). */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createProcessSampler } from '../../src/health/process-stats.js';
import type { ProcessSampler } from '../../src/health/types.js';
import { isProcessAlive, processGroups } from '../../src/transports/process-group.js';
import { isAlive, ProcessTracker, waitFor } from '../helpers/processes.js';

const MiB = 1024 * 1024;
const tracker = new ProcessTracker();
let sampler: ProcessSampler | undefined;

afterEach(() => {
  sampler?.close();
  sampler = undefined;
  tracker.killAll();
});

/** A group leader holding 40 MiB with a helper in its group holding 60 MiB. */
async function startGroup(): Promise<{ leader: number; helper: number }> {
  const helperCode = 'globalThis.kept = Buffer.alloc(60 * 1024 * 1024, 7); setInterval(() => {}, 1e6);';
  const leaderCode = `
    const { spawn } = require('node:child_process');
    globalThis.kept = Buffer.alloc(40 * 1024 * 1024, 7);
    const helper = spawn(process.execPath, ['-e', ${JSON.stringify(helperCode)}], { stdio: 'ignore' });
    console.log(helper.pid);
    setInterval(() => {}, 1e6);`;
  const leader = spawn(process.execPath, ['-e', leaderCode], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  tracker.trackGroup(leader.pid);
  const line = await new Promise<string>((resolve) => createInterface({ input: leader.stdout }).once('line', resolve));
  const helper = Number(line);
  tracker.track(helper);
  return { leader: leader.pid!, helper };
}

describe('process groups from /proc', () => {
  it('lists the live members of a group and tells alive from gone', async () => {
    const { leader, helper } = await startGroup();
    const groups = await processGroups();
    expect(groups?.get(leader)?.sort()).toEqual([leader, helper].sort());
    expect(await isProcessAlive(leader)).toBe(true);
    process.kill(helper, 'SIGKILL');
    await waitFor(async () => !(await isProcessAlive(helper)), { what: 'the helper to be gone' });
    expect(await isProcessAlive(0)).toBe(false);
    expect(await isProcessAlive(-1)).toBe(false);
  });
});

describe('createProcessSampler', () => {
  it('sums memory and cpu over the whole group, follows members, reports a gone group as null', async () => {
    const { leader, helper } = await startGroup();
    sampler = createProcessSampler({ groupScanTtlMs: 0 });
    // let the helper fill its buffer
    const full = await waitFor(
      async () => {
        const usage = await sampler!.sample(leader, 1_000);
        return usage && usage.pids.length === 2 && usage.memoryBytes > 150 * MiB ? usage : undefined;
      },
      { timeoutMs: 20_000, what: 'the group to hold 150 MiB (both buffers written)' },
    );
    expect(full.pids.sort()).toEqual([leader, helper].sort());
    expect(full.cpuPercent).toBeGreaterThanOrEqual(0);

    // requests in one turn share one scan and one pidusage call, and agree
    const [a, b] = await Promise.all([sampler.sample(leader, 1_000), sampler.sample(leader, 1_000)]);
    expect(a?.pids.sort()).toEqual(b?.pids.sort());

    process.kill(helper, 'SIGKILL');
    await waitFor(() => !isAlive(helper), { what: 'the helper to be gone' });
    const leaderOnly = await sampler.sample(leader, 1_000);
    expect(leaderOnly?.pids).toEqual([leader]);
    expect(leaderOnly!.memoryBytes).toBeLessThan(full.memoryBytes - 50 * MiB);

    process.kill(-leader, 'SIGKILL');
    await waitFor(() => !isAlive(leader), { what: 'the leader to be gone' });
    expect(await sampler.sample(leader, 1_000)).toBeNull();
    expect(await sampler.isAlive(leader)).toBe(false);
  });

  it('follows a member that joins the group later through the process tree, without reading all of /proc again', async () => {
    // the leader starts its helper when told to (a line on stdin), after the one full scan
    const helperCode = 'globalThis.kept = Buffer.alloc(60 * 1024 * 1024, 7); setInterval(() => {}, 1e6);';
    const leaderCode = `
      const { spawn } = require('node:child_process');
      process.stdin.once('data', () => {
        const helper = spawn(process.execPath, ['-e', ${JSON.stringify(helperCode)}], { stdio: 'ignore' });
        console.log(helper.pid);
      });
      setInterval(() => {}, 1e6);`;
    const child = spawn(process.execPath, ['-e', leaderCode], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
    const leader = child.pid!;
    tracker.trackGroup(leader);
    sampler = createProcessSampler({ groupScanTtlMs: 3_600_000 });
    expect((await sampler.sample(leader, 1_000))?.pids).toEqual([leader]);
    const line = new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    child.stdin.write('go\n');
    const helper = Number(await line);
    tracker.track(helper);
    const both = await waitFor(
      async () => {
        const usage = await sampler!.sample(leader, 1_000);
        return usage?.pids.length === 2 ? usage : undefined;
      },
      { timeoutMs: 20_000, what: 'the helper to be counted' },
    );
    expect(both.pids.sort()).toEqual([leader, helper].sort());
  });

  it('does not count a killed leader that is not reaped yet (a zombie)', async () => {
    // `sh` starts the leader in a new session, then becomes `sleep`, which never reaps it
    const parent = spawn('sh', ['-c', "(exec setsid sh -c 'echo $$; exec sleep 1000') & exec sleep 1000"], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    tracker.track(parent.pid);
    const leader = Number(await new Promise<string>((resolve) => createInterface({ input: parent.stdout }).once('line', resolve)));
    tracker.trackGroup(leader);
    sampler = createProcessSampler({ groupScanTtlMs: 60_000 });
    expect((await sampler.sample(leader, 1_000))?.pids).toEqual([leader]);

    process.kill(leader, 'SIGKILL');
    await waitFor(() => readFileSync(`/proc/${leader}/stat`, 'utf8').includes(') Z '), { what: 'the leader to be a zombie' });
    // the scan cached before the kill still lists the leader: the fresh look at it decides
    expect(await sampler.sample(leader, 1_000)).toBeNull();
    expect(await sampler.isAlive(leader)).toBe(false);
  });

  it('answers null for nonsense pids and after close', async () => {
    sampler = createProcessSampler();
    expect(await sampler.sample(0, 1_000)).toBeNull();
    expect(await sampler.sample(process.pid, 1_000)).not.toBeNull();
    sampler.close();
    expect(await sampler.sample(process.pid, 1_000)).toBeNull();
  });
});
