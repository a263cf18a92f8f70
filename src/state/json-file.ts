/**
 * Every file the manager keeps in its state dir goes through here: written atomically
 * (write-file-atomic: temp file, fsync, rename) with mode 0600, read back through a zod
 * schema; a file that does not parse or validate is renamed aside, never fatal.
 */
import { readFile, rename, stat } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import type { z } from 'zod';
import { errorMessage } from '../errors.js';

/** State files are small; anything bigger is not ours to parse. */
export const MAX_STATE_FILE_BYTES = 8 * 1024 * 1024;

export type JsonFileRead<T> =
  | { status: 'missing' }
  | { status: 'ok'; value: T }
  /** `keptAs`: where the bad file was moved (null if it could not be moved). */
  | { status: 'corrupt'; problem: string; keptAs: string | null };

/** Write `value` as JSON to `file` atomically: a reader sees the old file or the new one, whole. */
export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, fsync: true });
}

/** The synchronous form, for the last write on the way out. */
export function writeJsonFileSync(file: string, value: unknown): void {
  writeFileAtomic.sync(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, fsync: true });
}

/**
 * Read `file` and validate it. Missing → `missing`. Unreadable, truncated, garbage or
 * failing the schema (a wrong version included) → the file is renamed to
 * `<file>.corrupt-<time>` and `corrupt` says why.
 */
export async function readJsonFile<T>(file: string, schema: z.ZodType<T>): Promise<JsonFileRead<T>> {
  let problem: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) problem = 'it is not a regular file';
    else if (info.size > MAX_STATE_FILE_BYTES) problem = `it is ${info.size} bytes, larger than ${MAX_STATE_FILE_BYTES}`;
    else {
      const text = await readFile(file, 'utf8');
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (error) {
        data = undefined;
        problem = text.trim() === '' ? 'it is empty' : `it is not valid JSON (${errorMessage(error)})`;
        return { status: 'corrupt', problem, keptAs: await setAside(file) };
      }
      const parsed = schema.safeParse(data);
      if (parsed.success) return { status: 'ok', value: parsed.data };
      const issue = parsed.error.issues[0];
      problem = `${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'does not match the schema'}`;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    problem = `it cannot be read (${errorMessage(error)})`;
  }
  return { status: 'corrupt', problem, keptAs: await setAside(file) };
}

async function setAside(file: string): Promise<string | null> {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    await rename(file, aside);
    return aside;
  } catch {
    return null;
  }
}

export interface CoalescedWriter {
  /** Note a change; a write follows (one at a time, the latest content wins). */
  schedule(): void;
  /** Resolves once every change noted so far is on disk (or its write failed and was reported). */
  flush(): Promise<void>;
  /** Write now, synchronously, if anything is unsaved (on the way out of the process). */
  flushSync(): void;
}

/**
 * Coalesced atomic writes of `content()` to `file`: many changes in a burst cost one or
 * two writes, and there is never more than one write in flight.
 */
export function coalescedWriter(file: string, content: () => unknown, onError: (error: unknown) => void): CoalescedWriter {
  // changes counts edits, saved the edits known to be on disk
  let changes = 0;
  let saved = 0;
  // synchronous writes so far: one made while an async write is in flight may be renamed over
  // by that older write, which then has to be followed by the current content
  let syncWrites = 0;
  let writing: Promise<void> | undefined;
  const loop = async () => {
    while (saved < changes) {
      const target = changes;
      const syncsBefore = syncWrites;
      try {
        await writeJsonFile(file, content());
      } catch (error) {
        onError(error);
      }
      saved = Math.max(saved, target);
      if (syncWrites !== syncsBefore) saved = Math.min(saved, target - 1);
    }
  };
  return {
    schedule() {
      changes++;
      writing ??= loop().finally(() => {
        writing = undefined;
      });
    },
    async flush() {
      while (writing) await writing;
    },
    flushSync() {
      if (saved >= changes) return;
      saved = changes;
      syncWrites++;
      try {
        writeJsonFileSync(file, content());
      } catch (error) {
        onError(error);
      }
    },
  };
}
