import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GroupWatch,
  groupHasLiveMembers,
  isProcessAlive,
  killGroupSync,
  processGroups,
  signalGroup,
  stopProcessGroup,
} from '../../src/transports/process-group.js';
import { descendantsOf, groupMembers, isAlive, waitFor } from '../helpers/processes.js';
import { ECHO, FixtureRun, WRAPPER } from './fixture-transport.js';

let run: FixtureRun;

beforeEach(() => {
  run = new FixtureRun();
});

afterEach(() => {
  run.cleanup();
});

/** Long enough that a test whose stop waited for it would time out: the rung must not be waited for. */
const NEVER_MS = 10 * 60_000;

/** How long `work` took: only ever compared with a lower bound (a wait the ladder must make). */
async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

describe('close(): the stop ladder', () => {
  it('a server that exits on stdin close needs no signal', async () => {
    const transport = run.transport(ECHO, {}, { stopGraceMs: NEVER_MS, stopTimeoutMs: NEVER_MS });
    await run.client(transport);
    const pid = transport.pid!;
    let closes = 0;
    transport.onclose = () => closes++;

    await transport.close();

    expect(transport.stopResult).toEqual({ escalation: 'none', leaderExited: true, groupEmpty: true });
    expect(await transport.exited).toMatchObject({ exitCode: 0, signal: null });
    expect(isAlive(pid)).toBe(false);
    expect(closes).toBe(1);
  });

  it('SIGTERMs a server that ignores stdin close after stopGraceMs', async () => {
    const transport = run.transport(ECHO, { FIXTURE_IGNORE_STDIN_CLOSE: '1' }, { stopGraceMs: 300, stopTimeoutMs: NEVER_MS });
    await run.client(transport);

    const { ms } = await timed(transport.close());

    expect(transport.stopResult?.escalation).toBe('SIGTERM');
    expect(await transport.exited).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(isAlive(transport.pid!)).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(300);
  });

  it('SIGKILLs a server that ignores SIGTERM within stopTimeoutMs', async () => {
    const env = { FIXTURE_IGNORE_STDIN_CLOSE: '1', FIXTURE_IGNORE_SIGTERM: '1' };
    const transport = run.transport(ECHO, env, { stopGraceMs: 200, stopTimeoutMs: 500 });
    await run.client(transport);
    const pid = transport.pid!;

    const { ms } = await timed(transport.close());

    expect(isAlive(pid)).toBe(false);
    expect(groupMembers(pid)).toEqual([]);
    expect(transport.stopResult).toEqual({ escalation: 'SIGKILL', leaderExited: true, groupEmpty: true });
    expect(await transport.exited).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(transport.stderrTail()).toContain('fixture: ignoring SIGTERM');
    expect(ms).toBeGreaterThanOrEqual(200 + 500);
  });

  it('leaves neither wrapper, child nor grandchild alive (npx-style wrapper)', async () => {
    const transport = run.transport(WRAPPER, { FIXTURE_SPAWN_CHILD: '1' }, { stopGraceMs: 2000, stopTimeoutMs: 2000 });
    await run.client(transport);
    const wrapper = await run.pidFromStderr(transport, 'wrapper-pid');
    const child = await run.pidFromStderr(transport, 'echo-pid');
    const grandchild = await run.pidFromStderr(transport, 'grandchild-pid');
    expect(wrapper).toBe(transport.pid);
    expect(descendantsOf(wrapper)).toEqual(expect.arrayContaining([child, grandchild]));
    expect(groupMembers(wrapper).sort()).toEqual([wrapper, child, grandchild].sort());

    await transport.close();

    expect([wrapper, child, grandchild].filter(isAlive)).toEqual([]);
    expect(groupMembers(wrapper)).toEqual([]);
    // The wrapper exited by itself once its child saw stdin close; the grandchild needed the group SIGTERM.
    expect(transport.stopResult?.escalation).toBe('SIGTERM');
    expect(await transport.exited).toMatchObject({ exitCode: 0, signal: null });
  });

  it('SIGKILLs a grandchild that ignores SIGTERM after the leader is gone', async () => {
    const env = { FIXTURE_SPAWN_CHILD: '1', FIXTURE_GRANDCHILD_IGNORE_SIGTERM: '1' };
    const transport = run.transport(WRAPPER, env, { stopGraceMs: 1000, stopTimeoutMs: 400 });
    await run.client(transport);
    const grandchild = await run.pidFromStderr(transport, 'grandchild-pid');

    await transport.close();

    expect(isAlive(grandchild)).toBe(false);
    expect(groupMembers(transport.pid!)).toEqual([]);
    expect(transport.stopResult?.escalation).toBe('SIGKILL');
  });

  it('a wrapper that outlives stdin close is stopped together with its whole group', async () => {
    const env = { FIXTURE_SPAWN_CHILD: '1', FIXTURE_IGNORE_STDIN_CLOSE: '1' };
    const transport = run.transport(WRAPPER, env, { stopGraceMs: 200, stopTimeoutMs: 2000 });
    await run.client(transport);
    const child = await run.pidFromStderr(transport, 'echo-pid');
    const grandchild = await run.pidFromStderr(transport, 'grandchild-pid');

    await transport.close();

    expect([transport.pid!, child, grandchild].filter(isAlive)).toEqual([]);
    expect(transport.stopResult?.escalation).toBe('SIGTERM');
    expect(await transport.exited).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
  });

  it('cleans up grandchildren left behind by a server that already crashed', async () => {
    const transport = run.transport(ECHO, { FIXTURE_SPAWN_CHILD: '1', FIXTURE_CRASH_ON_TOOL: '1' });
    const client = await run.client(transport);
    const grandchild = await run.pidFromStderr(transport, 'grandchild-pid');
    await expect(client.callTool({ name: 'crash' })).rejects.toThrow();
    expect((await transport.exited).exitCode).toBe(2);
    expect(isAlive(grandchild)).toBe(true);

    await transport.close();

    expect(isAlive(grandchild)).toBe(false);
    expect(transport.stopResult?.escalation).toBe('SIGTERM');
  });

  it('concurrent close() calls share one stop and one onclose', async () => {
    const transport = run.transport(ECHO, { FIXTURE_IGNORE_STDIN_CLOSE: '1' }, { stopGraceMs: 100 });
    await run.client(transport);
    let closes = 0;
    transport.onclose = () => closes++;

    const first = transport.close();
    const second = transport.close();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await transport.close();

    expect(closes).toBe(1);
    expect(isAlive(transport.pid!)).toBe(false);
  });

  it('close() before start() just reports closed', async () => {
    const transport = run.transport(ECHO);
    let closes = 0;
    transport.onclose = () => closes++;
    await transport.close();
    expect(closes).toBe(1);
    expect(transport.pid).toBeNull();
    await expect(transport.start()).rejects.toThrow(/already started/);
  });

  it('close() during start() waits for the spawn and stops the process', async () => {
    const transport = run.transport(ECHO, { FIXTURE_IGNORE_STDIN_CLOSE: '1' }, { stopGraceMs: 100 });
    const started = transport.start();
    const closed = transport.close();
    await started;
    run.tracker.trackGroup(transport.pid);
    await closed;
    expect(isAlive(transport.pid!)).toBe(false);
  });
});

describe('stopProcessGroup (standalone)', () => {
  /** A detached process running `code`; resolves once it printed "ready" (its handlers are installed). */
  async function spawnGroup(code: string): Promise<{ pid: number; exited: Promise<unknown> }> {
    const child = spawn(process.execPath, ['-e', `${code};console.log("ready")`], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    run.tracker.trackGroup(child.pid);
    const exited = once(child, 'exit');
    await once(child.stdout, 'data');
    return { pid: child.pid!, exited };
  }

  it('escalates to SIGKILL for a process that ignores SIGTERM', async () => {
    const { pid, exited } = await spawnGroup('process.on("SIGTERM",()=>{});setInterval(()=>{},1e6)');
    const { value, ms } = await timed(stopProcessGroup(pid, { graceMs: 100, timeoutMs: 300, killWaitMs: NEVER_MS, exited }));
    expect(value).toEqual({ escalation: 'SIGKILL', leaderExited: true, groupEmpty: true });
    expect(isAlive(pid)).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(100 + 300);
  });

  it('polls the leader when no exited promise is given', async () => {
    const { pid } = await spawnGroup('setInterval(()=>{},1e6)');
    const result = await stopProcessGroup(pid, { graceMs: 50, timeoutMs: 2000 });
    expect(result.escalation).toBe('SIGTERM');
    expect(isAlive(pid)).toBe(false);
  });

  it('falls back to polling when the exited promise rejects', async () => {
    const { pid } = await spawnGroup('setInterval(()=>{},1e6)');
    const result = await stopProcessGroup(pid, { graceMs: 50, timeoutMs: 2000, exited: Promise.reject(new Error('no handle')) });
    expect(result).toEqual({ escalation: 'SIGTERM', leaderExited: true, groupEmpty: true });
    expect(isAlive(pid)).toBe(false);
  });

  it('returns at once when nothing is left', async () => {
    const { pid, exited } = await spawnGroup('');
    await exited;
    const value = await stopProcessGroup(pid, { graceMs: NEVER_MS, timeoutMs: NEVER_MS, exited });
    expect(value).toEqual({ escalation: 'none', leaderExited: true, groupEmpty: true });
  });
});

describe('group signalling', () => {
  it('killGroupSync kills the group and reports when there is none', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e6)'], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    run.tracker.trackGroup(pid);
    const exited = once(child, 'exit');
    expect(await groupHasLiveMembers(pid)).toBe(true);
    expect(killGroupSync(pid)).toBe(true);
    expect(await exited).toEqual([null, 'SIGKILL']);
    expect(await groupHasLiveMembers(pid)).toBe(false);
    expect(killGroupSync(pid)).toBe(false);
  });

  it('refuses group ids that would hit ourselves or everything', () => {
    expect(() => signalGroup(0, 0)).toThrow(RangeError);
    expect(() => signalGroup(1, 0)).toThrow(RangeError);
    expect(() => signalGroup(process.pid, 0)).toThrow(RangeError);
    expect(killGroupSync(0)).toBe(false);
  });
});

describe('group membership: zombies are not members', () => {
  /**
   * A group leader whose parent never reaps it: `sh` starts it in a new session (pgid = its
   * pid) and then becomes `sleep`, which never waits. Killed, the leader stays a zombie.
   */
  async function unreapedLeader(): Promise<number> {
    const parent = spawn('sh', ['-c', "(exec setsid sh -c 'echo $$; exec sleep 1000') & exec sleep 1000"], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    run.tracker.track(parent.pid);
    const [data] = (await once(parent.stdout, 'data')) as [Buffer];
    const leader = Number(data.toString().trim());
    run.tracker.trackGroup(leader);
    return leader;
  }

  const stateOf = (pid: number): string | undefined => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
    } catch {
      return undefined;
    }
  };

  it('a killed leader that is not reaped counts as gone, and its group as empty', async () => {
    const leader = await unreapedLeader();
    expect(await isProcessAlive(leader)).toBe(true);
    expect((await processGroups())?.get(leader)).toEqual([leader]);
    expect(await groupHasLiveMembers(leader)).toBe(true);

    process.kill(leader, 'SIGKILL');
    await waitFor(() => stateOf(leader) === 'Z', { what: 'the leader to be a zombie' });

    // the kernel still has a group: only what the module reads tells it holds no live process
    expect(signalGroup(leader, 0)).toBe(true);
    expect(await isProcessAlive(leader)).toBe(false);
    expect((await processGroups())?.get(leader)).toBeUndefined();
    expect(await groupHasLiveMembers(leader)).toBe(false);
    expect(await stopProcessGroup(leader, { graceMs: NEVER_MS, timeoutMs: NEVER_MS })).toEqual({
      escalation: 'none',
      leaderExited: true,
      groupEmpty: true,
    });
  });

  it('follows members that outlive the leader and children started while it watches', async () => {
    // the leader starts one child at once and, on SIGUSR2, another, all in its group
    const code = `
      const { spawn } = require('node:child_process');
      const keep = () => spawn(process.execPath, ['-e', 'setInterval(()=>{},1e6)'], { stdio: 'ignore' }).pid;
      process.on('SIGUSR2', () => console.log(keep()));
      console.log(keep());
      setInterval(() => {}, 1e6);`;
    const child = spawn(process.execPath, ['-e', code], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const leader = child.pid!;
    run.tracker.trackGroup(leader);
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = Number((await lines.next()).value);
    const watch = new GroupWatch(leader);
    expect(await watch.hasLiveMembers()).toBe(true);

    process.kill(leader, 'SIGUSR2');
    const second = Number((await lines.next()).value);
    process.kill(leader, 'SIGKILL');
    await once(child, 'exit');
    expect(await watch.hasLiveMembers()).toBe(true);
    process.kill(first, 'SIGKILL');
    await waitFor(() => !isAlive(first), { what: 'the first child to be gone' });
    expect(await watch.hasLiveMembers()).toBe(true);
    process.kill(second, 'SIGKILL');
    await waitFor(() => !isAlive(second), { what: 'the second child to be gone' });
    expect(await watch.hasLiveMembers()).toBe(false);
  });
});
