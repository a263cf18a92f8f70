/**
 * `<state-dir>/children.json`: pid, process group and start time of every child the
 * manager spawned, so that the next manager can stop what a crashed one left running.
 * A record enters when the child is spawned and leaves when its group is gone.
 * The sweep stops only a group whose leader still has the recorded start time: a pid
 * the kernel has given to another process since is never touched.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { isSameProcess, processStartTime, stopProcessGroup, type StopEscalation } from '../transports/process-group.js';
import { coalescedWriter, readJsonFile, writeJsonFile } from './json-file.js';

export const ChildRecordSchema = z.object({
  pid: z.number().int().positive(),
  pgid: z.number().int().positive(),
  /** Field 22 of /proc/PID/stat when it was spawned; null where unknown (then never swept). */
  startTime: z.string().nullable(),
  instance: z.string(),
  at: z.string(),
});
export type ChildRecord = z.infer<typeof ChildRecordSchema>;

export const ChildrenFileSchema = z.object({
  version: z.literal(1),
  managerPid: z.number().int(),
  children: z.array(ChildRecordSchema),
});
export type ChildrenFile = z.infer<typeof ChildrenFileSchema>;

export function childrenFileOf(dir: string): string {
  return join(dir, 'children.json');
}

export interface ChildrenRegistry {
  /** A child was spawned (its own process group: pgid = pid). */
  add(instance: string, pid: number): void;
  /** The child's group is gone. */
  remove(pid: number): void;
  list(): readonly ChildRecord[];
  flush(): Promise<void>;
  flushSync(): void;
}

export function createChildrenRegistry(dir: string, logger: Logger): ChildrenRegistry {
  const file = childrenFileOf(dir);
  const children = new Map<number, ChildRecord>();
  const writer = coalescedWriter(
    file,
    (): ChildrenFile => ({ version: 1, managerPid: process.pid, children: [...children.values()] }),
    (error) => logger.warn({ file, err: (error as Error).message }, 'could not write the children file'),
  );
  return {
    add(instance, pid) {
      const record: ChildRecord = { pid, pgid: pid, startTime: null, instance, at: new Date().toISOString() };
      children.set(pid, record);
      writer.schedule();
      // the start time tells this process from a later one with the same pid (the sweep needs it)
      void processStartTime(pid).then((startTime) => {
        record.startTime = startTime;
        if (children.get(pid) === record) writer.schedule();
      });
    },
    remove(pid) {
      if (children.delete(pid)) writer.schedule();
    },
    list: () => [...children.values()],
    flush: () => writer.flush(),
    flushSync: () => writer.flushSync(),
  };
}

export interface SweptChild {
  instance: string;
  pid: number;
  escalation: StopEscalation;
  /** false when members survived SIGKILL (uninterruptible sleep). */
  gone: boolean;
}

export interface SweepReport {
  swept: SweptChild[];
  /** Recorded children not touched, with why (gone already, pid recycled, start time unknown). */
  leftAlone: { instance: string; pid: number; reason: string }[];
  /** The file was unusable and set aside. */
  problem: string | null;
}

export interface SweepOptions {
  /** SIGTERM → SIGKILL wait per group. */
  timeoutMs: number;
}

/**
 * Stop every recorded group whose leader still has its recorded start time (SIGTERM to
 * the group, then SIGKILL), all at once, then empty the file. Call only while holding
 * the state dir's lock, before spawning anything.
 */
export async function sweepOrphans(dir: string, options: SweepOptions): Promise<SweepReport> {
  const file = childrenFileOf(dir);
  const read = await readJsonFile(file, ChildrenFileSchema);
  const report: SweepReport = { swept: [], leftAlone: [], problem: null };
  if (read.status === 'missing') return report;
  if (read.status === 'corrupt') {
    report.problem = `${file} was unusable (${read.problem})${read.keptAs ? `; kept aside as ${read.keptAs}` : ''}`;
    return report;
  }
  const stops: Promise<void>[] = [];
  for (const child of read.value.children) {
    if (child.startTime === null) {
      const reason =
        (await processStartTime(child.pid)) === null ? 'already gone' : 'start time unknown: cannot tell it from a recycled pid';
      report.leftAlone.push({ instance: child.instance, pid: child.pid, reason });
    } else if (!(await isSameProcess(child.pid, child.startTime))) {
      const reason = (await processStartTime(child.pid)) === null ? 'already gone' : 'pid now belongs to another process';
      report.leftAlone.push({ instance: child.instance, pid: child.pid, reason });
    } else if (child.pgid <= 1 || child.pgid === process.pid) {
      report.leftAlone.push({ instance: child.instance, pid: child.pid, reason: `refusing to signal process group ${child.pgid}` });
    } else {
      stops.push(
        stopProcessGroup(child.pgid, { graceMs: 0, timeoutMs: options.timeoutMs }).then((result) => {
          report.swept.push({ instance: child.instance, pid: child.pid, escalation: result.escalation, gone: result.groupEmpty });
        }),
      );
    }
  }
  await Promise.all(stops);
  await writeJsonFile(file, { version: 1, managerPid: process.pid, children: [] } satisfies ChildrenFile);
  return report;
}

/** One line for the log and `status`, or null when nothing was found. */
export function describeSweep(report: SweepReport): string | null {
  const parts: string[] = [];
  if (report.swept.length > 0) {
    const what = report.swept.map(
      (c) => `${c.instance} (pid ${c.pid}, ${c.escalation === 'SIGKILL' ? 'killed' : 'terminated'}${c.gone ? '' : ', still present'})`,
    );
    parts.push(`stopped ${report.swept.length} server process group(s) left by a previous manager: ${what.join(', ')}`);
  }
  const recycled = report.leftAlone.filter((c) => c.reason !== 'already gone');
  if (recycled.length > 0) parts.push(`left alone: ${recycled.map((c) => `${c.instance} (pid ${c.pid}: ${c.reason})`).join(', ')}`);
  if (report.problem) parts.push(report.problem);
  return parts.length > 0 ? parts.join('; ') : null;
}
