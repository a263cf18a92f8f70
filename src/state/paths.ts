import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ManagerError, errorMessage } from '../errors.js';
import { checkStateDirectory } from './safe-files.js';

export interface ResolveStateDirOptions {
  /** `--state-dir`, resolved against `cwd` when relative. */
  flag?: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  homedir?: string;
}

/**
 * Where the running manager keeps its control socket, lock and logs:
 * `--state-dir`, else `MCP_MANAGER_HOME`, else `$XDG_STATE_HOME/mcp-manager`,
 * else `~/.local/state/mcp-manager`. Always absolute.
 */
export function resolveStateDir(options: ResolveStateDirOptions): string {
  const cwd = options.cwd ?? process.cwd();
  const home = options.homedir ?? homedir();
  const expand = (p: string): string => resolve(cwd, p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p);

  if (options.flag) return expand(options.flag);
  const explicit = options.env.MCP_MANAGER_HOME;
  if (explicit) return expand(explicit);
  // XDG: a relative path in these variables is invalid and must be ignored.
  const xdg = options.env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'mcp-manager');
  return join(home, '.local', 'state', 'mcp-manager');
}

/**
 * Create the state dir (mode 0700) and its `logs/` directory; an existing one must be
 * owned by this user and writable by nobody else, and `logs/` must not be a symlink.
 */
export function ensureStateDir(dir: string): void {
  for (const path of [dir, logDirOf(dir)]) {
    // a planted `logs` link is refused before anything is created through it
    if (path !== dir && existsAsLink(path)) checkStateDirectory(path, 'inner');
    try {
      const created = mkdirSync(path, { recursive: true, mode: 0o700 });
      // mkdir's mode passes through the umask; make the result exact.
      if (created !== undefined) chmodSync(path, 0o700);
    } catch (error) {
      throw new ManagerError('CONTROL_FAILED', `cannot create state dir ${path}: ${errorMessage(error)}`, {
        data: { stateDir: dir },
        cause: error,
      });
    }
    checkStateDirectory(path, path === dir ? 'root' : 'inner');
  }
}

function existsAsLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** sun_path holds 108 bytes on Linux (104 on macOS/BSD), including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** `<dir>/control.sock`; throws when the path is too long to bind a unix socket. */
export function socketPathOf(dir: string): string {
  const path = join(dir, 'control.sock');
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new ManagerError(
      'CONTROL_FAILED',
      `state dir path is too long for a unix socket: "${path}" is ${bytes} bytes, the limit is ${MAX_SOCKET_PATH_BYTES}; ` +
        'choose a shorter --state-dir (or MCP_MANAGER_HOME)',
      { data: { stateDir: dir, socketPath: path } },
    );
  }
  return path;
}

export function lockFileOf(dir: string): string {
  return join(dir, 'manager.pid');
}

/** The manager's own log, `<dir>/logs/manager.log` (a daemon's stdout/stderr go there too). */
export function managerLogOf(dir: string): string {
  return join(logDirOf(dir), 'manager.log');
}

/** The file of `logs NAME`: a server's log, or the manager's own without a name. */
export function logOf(dir: string, server: string | undefined): string {
  return server === undefined ? managerLogOf(dir) : logFileOf(dir, server);
}

export function logDirOf(dir: string): string {
  return join(dir, 'logs');
}

/** True when `name` can be used as a log file name without leaving `logs/`. */
export function isSafeLogName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/** `<dir>/logs/<server>.log` */
export function logFileOf(dir: string, server: string): string {
  if (!isSafeLogName(server)) {
    throw new ManagerError('USAGE', `invalid server name for a log file: ${JSON.stringify(server)}`, { data: { server } });
  }
  return join(logDirOf(dir), `${server}.log`);
}
