/**
 * Read a config file defensively: never more than `maxBytes`, never a FIFO or device (they
 * block or never end), never a directory, never binary data; broken links, symlink loops and
 * permission problems become issues that name the file. Never throws. The one reader of
 * config files: the manager at start and on every reload, `validate`, `doctor`, discovery.
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import type { ConfigIssue } from '../errors.js';

/** Config files are small; anything bigger is a mistake (or not a config) and is not read (README: "Config size"). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export type TextRead =
  | { ok: true; text: string; realPath: string }
  | { ok: false; /** The path does not exist at all (not even as a broken link). */ missing: boolean; issue: ConfigIssue };
/** How much of a file is checked for NUL bytes. */
const SNIFF_BYTES = 8192;

/** The file-system calls the reader makes; tests substitute single calls (e.g. an EACCES from `open`). */
export interface ReadFs {
  lstat: typeof fsp.lstat;
  stat: typeof fsp.stat;
  realpath: typeof fsp.realpath;
  readlink: typeof fsp.readlink;
  open: typeof fsp.open;
}

export const NODE_FS: ReadFs = {
  lstat: fsp.lstat,
  stat: fsp.stat,
  realpath: fsp.realpath,
  readlink: fsp.readlink,
  open: fsp.open,
};

export interface ReadTextOptions {
  maxBytes?: number;
  fs?: ReadFs;
}

export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

export async function readTextFile(file: string, options: ReadTextOptions = {}): Promise<TextRead> {
  const fs = options.fs ?? NODE_FS;
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  const absolute = path.resolve(file);
  const fail = (message: string, missing = false): TextRead => ({ ok: false, missing, issue: { file: absolute, path: '', message } });
  try {
    const link = await fs.lstat(absolute).catch((error: unknown) => error as NodeJS.ErrnoException);
    if (link instanceof Error) {
      if (errnoCode(link) === 'ENOENT' || errnoCode(link) === 'ENOTDIR') return fail('file not found', true);
      return fail(describeError(link, 'cannot look at the file'));
    }
    const stats = await fs.stat(absolute).catch((error: unknown) => error as NodeJS.ErrnoException);
    if (stats instanceof Error) {
      if (errnoCode(stats) === 'ELOOP') return fail('symbolic link loop (the link resolves to itself): not read');
      if (errnoCode(stats) === 'ENOENT' && link.isSymbolicLink()) {
        const target = await fs.readlink(absolute).catch(() => '?');
        return fail(`broken symbolic link (points to ${JSON.stringify(target)}, which does not exist)`);
      }
      return fail(describeError(stats, 'cannot look at the file'));
    }
    if (stats.isDirectory()) return fail('is a directory, expected a config file');
    if (!stats.isFile()) return fail('not a regular file (a FIFO, socket or device): not read');
    if (stats.size > maxBytes) return fail(tooBig(stats.size, maxBytes));
    const realPath = await fs.realpath(absolute);
    const bytes = await readAtMost(fs, absolute, maxBytes + 1);
    if (bytes === undefined) return fail('not a regular file (a FIFO, socket or device): not read');
    if (bytes.length > maxBytes) return fail(tooBig(bytes.length, maxBytes, true));
    if (bytes.subarray(0, SNIFF_BYTES).includes(0)) return fail('binary data (contains NUL bytes), not a text config file');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail('not UTF-8 text (binary data?), not a text config file');
    }
    return { ok: true, text, realPath };
  } catch (error) {
    return fail(describeError(error, 'cannot read the file'));
  }
}

/**
 * Up to `limit` bytes, or undefined when what was opened is not a regular file (it was
 * swapped for a FIFO or device after the check: opened non-blocking, so that never hangs).
 */
async function readAtMost(fs: ReadFs, file: string, limit: number): Promise<Buffer | undefined> {
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const buffer = Buffer.alloc(limit);
    let total = 0;
    while (total < limit) {
      const { bytesRead } = await handle.read(buffer, total, limit - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return buffer.subarray(0, total);
  } finally {
    await handle.close();
  }
}

function tooBig(size: number, maxBytes: number, grew = false): string {
  const limit = `the ${formatBytes(maxBytes)} limit for a config file`;
  return grew ? `file grew past ${limit} while being read: not read` : `file is ${formatBytes(size)}, more than ${limit}: not read`;
}

function describeError(error: unknown, what: string): string {
  switch (errnoCode(error)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: cannot read the file';
    case 'ELOOP':
      return 'symbolic link loop: not read';
    case 'EISDIR':
      return 'is a directory, expected a config file';
    default:
      return `${what}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The first `bytes` bytes of a file, or undefined (missing, unreadable, not a regular file). */
export async function readHead(file: string, bytes: number, fs: ReadFs = NODE_FS): Promise<Buffer | undefined> {
  try {
    const stats = await fs.stat(file);
    if (!stats.isFile()) return undefined;
    return await readAtMost(fs, file, bytes);
  } catch {
    return undefined;
  }
}

export async function pathExists(file: string, fs: ReadFs = NODE_FS): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}
