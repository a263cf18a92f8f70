import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManagerError } from '../../src/errors.js';
import { acquireLock, liveHolder, readLockPid, readLockRecord } from '../../src/state/lock.js';
import { lockFileOf, socketPathOf } from '../../src/state/paths.js';
import { isProcessAlive, processStartTime } from '../../src/transports/process-group.js';
import { shortTempDir } from '../control/helpers.js';

/** The pid of a child that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  expect(child.pid).toBeTypeOf('number');
  return child.pid!;
}

async function refusal(fn: () => Promise<unknown>): Promise<ManagerError> {
  try {
    await fn();
  } catch (error) {
    if (ManagerError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a ManagerError, nothing was thrown');
}

const children: ChildProcess[] = [];
/** A live process that is not a manager (it never opens a control socket). */
async function unrelatedProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child.pid!;
}

describe('acquireLock', () => {
  let dir: string;
  let cleanup: () => void;
  let socket: Server | undefined;
  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await new Promise<void>((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
    socket = undefined;
    cleanup();
  });

  it('writes our pid and start time, and removes the file on release', async () => {
    const lock = await acquireLock(dir);
    expect(readFileSync(lockFileOf(dir), 'utf8')).toBe(`${process.pid}\n${(await processStartTime(process.pid)) ?? ''}\n`);
    expect(readLockPid(dir)).toBe(process.pid);
    expect(lock.takenOver).toBeNull();
    lock.release();
    expect(existsSync(lockFileOf(dir))).toBe(false);
    lock.release(); // idempotent
    expect(readdirSync(dir)).toEqual([]); // no temp files left behind
  });

  it('refuses while the process that took the lock still runs, naming pid and state dir', async () => {
    const lock = await acquireLock(dir);
    // another starter (another pid) finds our lock: same pid, same start time → alive
    const other = await unrelatedProcess();
    const error = await refusal(() => acquireLock(dir, { pid: other }));
    expect(error.code).toBe('MANAGER_RUNNING');
    expect(error.message).toBe(
      `mcp-manager is already running (pid ${process.pid}) with state dir ${dir}; ` +
        'stop it with "mcp-manager stop" or use another --state-dir',
    );
    // The refusal leaves the holder's lock alone.
    expect(readLockPid(dir)).toBe(process.pid);
    expect(await liveHolder(dir)).toBe(process.pid);
    lock.release();
    (await acquireLock(dir)).release();
  });

  it('refuses while the control socket answers, whatever the pid says', async () => {
    const dead = await deadPid();
    writeFileSync(lockFileOf(dir), `${dead}\n`);
    socket = createServer((c) => c.destroy());
    await new Promise<void>((resolve) => socket!.listen(socketPathOf(dir), resolve));
    expect((await refusal(() => acquireLock(dir))).code).toBe('MANAGER_RUNNING');
  });

  it('takes over a lock whose pid has exited, and says so', async () => {
    const stale = await deadPid();
    expect(await isProcessAlive(stale)).toBe(false);
    writeFileSync(lockFileOf(dir), `${stale}\n`);
    const lock = await acquireLock(dir);
    expect(readLockPid(dir)).toBe(process.pid);
    expect(lock.takenOver).toEqual({ pid: stale, reason: `pid ${stale} is not running` });
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a lock naming a live unrelated process (recycled pid)', async () => {
    const unrelated = await unrelatedProcess();
    // the recorded start time is not the one that process has: it is not the lock's writer
    writeFileSync(lockFileOf(dir), `${unrelated}\n1\n`);
    expect(await liveHolder(dir)).toBeNull();
    const lock = await acquireLock(dir);
    expect(lock.takenOver?.pid).toBe(unrelated);
    expect(lock.takenOver?.reason).toMatch(/another process/);
    expect(await isProcessAlive(unrelated)).toBe(true); // never touched
    lock.release();
  });

  it('takes over an old-format lock naming a live pid whose socket does not answer', async () => {
    const unrelated = await unrelatedProcess();
    writeFileSync(lockFileOf(dir), `${unrelated}\n`);
    const lock = await acquireLock(dir);
    expect(lock.takenOver?.reason).toMatch(/control socket does not answer/);
    lock.release();
  });

  it('takes over a lock naming our own pid (a container restarted, the manager PID 1 again)', async () => {
    writeFileSync(lockFileOf(dir), `${process.pid}\n${(await processStartTime(process.pid)) ?? ''}\n`);
    const lock = await acquireLock(dir);
    expect(lock.takenOver?.reason).toMatch(/own pid/);
    expect(readLockRecord(dir)?.pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock file with garbage in it', async () => {
    writeFileSync(lockFileOf(dir), 'not a pid');
    const lock = await acquireLock(dir);
    expect(lock.takenOver).toBeNull();
    lock.release();
    expect(existsSync(lockFileOf(dir))).toBe(false);
  });

  it('release leaves a lock that another process has taken since', async () => {
    const lock = await acquireLock(dir);
    const other = await deadPid();
    writeFileSync(lockFileOf(dir), `${other}\n`);
    lock.release();
    expect(readLockPid(dir)).toBe(other);
  });
});
