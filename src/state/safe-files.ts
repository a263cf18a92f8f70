/**
 * The state dir is ours alone: owned by this user, writable by nobody else, and nothing
 * inside it is reached through a symlink. Files in it are created 0600 with O_NOFOLLOW.
 */
import { constants, fchmodSync, fstatSync, lstatSync, openSync, closeSync, statSync, type Stats } from 'node:fs';
import { ManagerError } from '../errors.js';

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

function uid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

function refuse(path: string, problem: string, fix: string): never {
  throw new ManagerError('CONTROL_FAILED', `state dir ${path} ${problem}; fix: ${fix}`, { data: { path, problem, fix } });
}

function checkOwnership(path: string, stats: Stats): void {
  const me = uid();
  if (me !== undefined && stats.uid !== me) {
    refuse(
      path,
      `is owned by uid ${stats.uid}, not by this user (uid ${me})`,
      `use a state dir of your own (--state-dir or MCP_MANAGER_HOME), or "chown ${me} ${path}"`,
    );
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, '0');
    refuse(path, `is writable by others (mode ${mode})`, `"chmod 700 ${path}" after checking nothing was planted in it`);
  }
}

/**
 * Check an existing state dir (`root`, which may itself be reached through a symlink the
 * user made) or a directory inside it (`inner`, which must not be a symlink).
 * Throws CONTROL_FAILED naming the problem and the fix.
 */
export function checkStateDirectory(path: string, kind: 'root' | 'inner'): void {
  const link = lstatSync(path);
  if (kind === 'inner' && link.isSymbolicLink()) {
    refuse(path, 'is a symlink (nothing inside the state dir may be one)', `remove the link ("rm ${path}") and start again`);
  }
  const stats = kind === 'root' ? statSync(path) : link;
  if (!stats.isDirectory()) refuse(path, 'is not a directory', `remove it or choose another --state-dir`);
  checkOwnership(path, stats);
}

/**
 * Open a log file in the state dir for appending: created 0600, never through a symlink,
 * refused when it is not a regular file of ours. Returns the fd.
 */
export function openLogFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOOP') {
      refuse(path, 'is a symlink (nothing inside the state dir may be one)', `remove the link ("rm ${path}")`);
    }
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) refuse(path, 'is not a regular file', `remove it ("rm ${path}")`);
    const me = uid();
    if (me !== undefined && stats.uid !== me) refuse(path, `is owned by uid ${stats.uid}`, `remove it ("rm ${path}")`);
    if ((stats.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
