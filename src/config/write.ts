/**
 * Write a config file only when the new text is a valid config: checked as if it were the
 * file, then written atomically (temp file, fsync, rename) keeping the file's mode. An
 * invalid result throws `ConfigError` and leaves the file as it was.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { parseConfigText, type ConfigResult } from './load.js';

export function checkConfigText(text: string, file: string, env: NodeJS.ProcessEnv): ConfigResult & { ok: true } {
  const result = parseConfigText(text, file, { env });
  if (!result.ok) throw new ConfigError(result.issues);
  return result;
}

/** Atomic replace of `file` with `text`; a new file gets `mode`. */
export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  let keep = mode;
  try {
    keep = statSync(file).mode & 0o777;
  } catch {
    // a new file
  }
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w', keep);
  try {
    fchmodSync(fd, keep);
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
}

/** Validate `text` as `file`, then write it. Returns the checked config. */
export function writeConfigChecked(file: string, text: string, env: NodeJS.ProcessEnv): ConfigResult & { ok: true } {
  const result = checkConfigText(text, file, env);
  writeFileAtomic(file, text);
  return result;
}
