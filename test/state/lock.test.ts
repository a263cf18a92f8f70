import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManagerError } from '../../src/errors.js';
import { acquireLock, isProcessAlive, readLockPid } from '../../src/state/lock.js';
import { lockFileOf } from '../../src/state/paths.js';
import { shortTempDir } from '../control/helpers.js';

/** The pid of a child that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  expect(child.pid).toBeTypeOf('number');
  return child.pid!;
}

function refusal(fn: () => unknown): ManagerError {
  try {
    fn();
  } catch (error) {
    if (ManagerError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a ManagerError, nothing was thrown');
}

describe('acquireLock', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
  });
  afterEach(() => cleanup());

  it('writes our pid and removes the file on release', () => {
    const lock = acquireLock(dir);
    expect(readFileSync(lockFileOf(dir), 'utf8').trim()).toBe(String(process.pid));
    expect(readLockPid(dir)).toBe(process.pid);
    lock.release();
    expect(existsSync(lockFileOf(dir))).toBe(false);
    lock.release(); // idempotent
    expect(readdirSync(dir)).toEqual([]); // no temp files left behind
  });

  it('refuses while a live process holds the lock, naming pid and state dir', () => {
    const lock = acquireLock(dir);
    const error = refusal(() => acquireLock(dir));
    expect(error.code).toBe('MANAGER_RUNNING');
    expect(error.message).toBe(
      `mcp-manager is already running (pid ${process.pid}) with state dir ${dir}; ` +
        'stop it with "mcp-manager stop" or use another --state-dir',
    );
    // The refusal leaves the holder's lock alone.
    expect(readLockPid(dir)).toBe(process.pid);
    lock.release();
    acquireLock(dir).release();
  });

  it('takes over a lock whose pid has exited', async () => {
    const stale = await deadPid();
    expect(isProcessAlive(stale)).toBe(false);
    writeFileSync(lockFileOf(dir), `${stale}\n`);
    const lock = acquireLock(dir);
    expect(readLockPid(dir)).toBe(process.pid);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a lock file with garbage in it', () => {
    writeFileSync(lockFileOf(dir), 'not a pid');
    acquireLock(dir).release();
    expect(existsSync(lockFileOf(dir))).toBe(false);
  });

  it('release leaves a lock that another process has taken since', async () => {
    const lock = acquireLock(dir);
    const other = await deadPid();
    writeFileSync(lockFileOf(dir), `${other}\n`);
    lock.release();
    expect(readLockPid(dir)).toBe(other);
  });
});
