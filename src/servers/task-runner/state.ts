import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { errnoCode, TaskRunnerError } from './errors.js';
import { isAlive } from './process-group.js';

/**
 * `<project>/task_state.json`: one entry per task file name. Written atomically (temp file in
 * the same directory, fsync, rename), so a crash at any point leaves the old or the new file,
 * never a torn one. Read-modify-write cycles of one file are serialized inside this process.
 */
export const TASK_STATUSES = ['pending', 'running', 'completed', 'failed', 'timeout'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TaskEntrySchema = z.object({
  status: z.enum(TASK_STATUSES),
  /** Executor pid, which is also its process group id. */
  pid: z.number().int().positive().nullable().default(null),
  /** Pid of the task-runner server that started the run. */
  server_pid: z.number().int().positive().nullable().default(null),
  started_at: z.string().nullable().default(null),
  finished_at: z.string().nullable().default(null),
  duration_ms: z.number().nonnegative().nullable().default(null),
  exit_code: z.number().int().nullable().default(null),
  signal: z.string().nullable().default(null),
  /** Why the last run ended the way it did, in words. */
  message: z.string().nullable().default(null),
});
export type TaskEntry = z.infer<typeof TaskEntrySchema>;

export const TaskStateSchema = z.object({
  version: z.literal(1),
  updated_at: z.string().nullable().default(null),
  tasks: z.record(z.string(), TaskEntrySchema),
});
export type TaskState = z.infer<typeof TaskStateSchema>;

export function emptyState(): TaskState {
  return { version: 1, updated_at: null, tasks: {} };
}

export function pendingEntry(message: string | null = null): TaskEntry {
  return TaskEntrySchema.parse({ status: 'pending', message });
}

export interface StateStore {
  read(file: string): Promise<TaskState>;
  /** Read, let `mutate` change the state in place, write it back; serialized per file. */
  update<R>(file: string, mutate: (state: TaskState) => R): Promise<R>;
  /** Remove temp files a crash may have left next to `file`; returns how many. */
  removeStrayTempFiles(file: string): Promise<number>;
}

export function createStateStore(): StateStore {
  const queues = new Map<string, Promise<unknown>>();

  function serialized<R>(key: string, work: () => Promise<R>): Promise<R> {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return next;
  }

  return {
    read: readState,
    update: (file, mutate) =>
      serialized(file, async () => {
        const state = await readState(file);
        const result = mutate(state);
        state.updated_at = new Date().toISOString();
        await writeAtomically(file, `${JSON.stringify(state, null, 2)}\n`);
        return result;
      }),
    removeStrayTempFiles: (file) => serialized(file, () => removeTempFiles(file)),
  };
}

export async function readState(file: string): Promise<TaskState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return emptyState();
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, (error as Error).message);
  }
  const parsed = TaskStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt(file, issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'unexpected shape');
  }
  return parsed.data;
}

function corrupt(file: string, detail: string): TaskRunnerError {
  return new TaskRunnerError('STATE_CORRUPT', `${file} is not a valid task state file (${detail}); fix or remove it`, { data: { file } });
}

const TEMP_SUFFIX = '.tmp';

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

async function removeTempFiles(file: string): Promise<number> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  // `<file>.<pid>.<hex>.tmp`: only files of dead writers; ours are never left behind.
  const strayOrNot = await Promise.all(
    names.map(async (n) => {
      if (!n.startsWith(prefix) || !n.endsWith(TEMP_SUFFIX)) return false;
      const writer = Number(n.slice(prefix.length).split('.')[0]);
      return !Number.isInteger(writer) || writer <= 0 || (writer !== process.pid && !(await isAlive(writer)));
    }),
  );
  const stray = names.filter((_, i) => strayOrNot[i]);
  await Promise.all(stray.map((n) => unlink(path.join(dir, n)).catch(() => undefined)));
  return stray.length;
}
