/**
 * `<state-dir>/state.json`: what operators decided and what happened, kept across
 * restarts of the manager. Per server: an operator's override of the config's
 * `enabled` (set by stop-server / start-server / restart-server through the control
 * API, whatever called it) and a bounded history of restarts and exits. `upstream`
 * holds per-server facts learnt about a backend (e.g. the protocol era it speaks),
 * kept verbatim for the code that owns them. Writes are coalesced and atomic.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { coalescedWriter, readJsonFile, type JsonFileRead } from './json-file.js';

export const STATE_FILE_VERSION = 1;
/** Restarts and exits kept per server (oldest dropped first). */
export const HISTORY_LIMIT = 50;

export const HistoryEntrySchema = z.object({
  at: z.string(),
  kind: z.enum(['exit', 'restart']),
  instance: z.string(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  reason: z.string().nullable(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

export const OverrideSchema = z.object({
  /** What the operator wants, against the config's `enabled`. */
  state: z.enum(['stopped', 'running']),
  at: z.string(),
  /** Which door the decision came through (`control` for the CLI and API, `ui`). */
  via: z.string(),
});
export type Override = z.infer<typeof OverrideSchema>;

export const ServerRecordSchema = z.object({
  override: OverrideSchema.optional(),
  history: z.array(HistoryEntrySchema).max(HISTORY_LIMIT * 2),
});
export type ServerRecord = z.infer<typeof ServerRecordSchema>;

export const StateFileSchema = z.object({
  version: z.literal(STATE_FILE_VERSION),
  updatedAt: z.string(),
  servers: z.record(z.string(), ServerRecordSchema),
  /** Per server, per topic (e.g. `era`): whatever the owner of the topic stores. */
  upstream: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});
export type StateFile = z.infer<typeof StateFileSchema>;

export function stateFileOf(dir: string): string {
  return join(dir, 'state.json');
}

export interface DesiredStateStore {
  readonly file: string;
  /** How the file was found at start: a corrupt one was set aside (see `problem`). */
  readonly loaded: JsonFileRead<StateFile>['status'];
  /** The warning to show when the file was corrupt, else null. */
  readonly problem: string | null;
  overrideOf(server: string): Override | undefined;
  overrides(): Record<string, Override['state']>;
  /** Record an operator decision; `null` clears the override (the config decides again). */
  setOverride(server: string, state: Override['state'] | null, via?: string): void;
  record(server: string, entry: Omit<HistoryEntry, 'at'> & { at?: string }): void;
  history(server: string): readonly HistoryEntry[];
  upstream(server: string, topic: string): unknown;
  setUpstream(server: string, topic: string, value: unknown): void;
  /** Keep only these servers (the rest were removed from the config). */
  retain(servers: readonly string[]): void;
  /** Resolves once everything recorded so far is on disk. */
  flush(): Promise<void>;
  /** Last synchronous write (process exit). */
  flushSync(): void;
}

/** Load (or start) the state file of `dir`. A corrupt file is set aside and logged; never throws for content. */
export async function openDesiredState(dir: string, logger: Logger): Promise<DesiredStateStore> {
  const file = stateFileOf(dir);
  const read = await readJsonFile(file, StateFileSchema);
  let problem: string | null = null;
  if (read.status === 'corrupt') {
    problem = `state file ${file} was unusable (${read.problem}); ${read.keptAs ? `kept aside as ${read.keptAs}; ` : ''}starting from the config alone`;
    logger.warn({ file, keptAs: read.keptAs, problem: read.problem }, problem);
  }
  const data: StateFile =
    read.status === 'ok' ? read.value : { version: STATE_FILE_VERSION, updatedAt: new Date().toISOString(), servers: {}, upstream: {} };

  const writer = coalescedWriter(
    file,
    (): StateFile => ({ ...data, updatedAt: new Date().toISOString() }),
    (error) => logger.warn({ file, err: (error as Error).message }, 'could not write the state file'),
  );
  const schedule = () => writer.schedule();
  const recordOf = (server: string): ServerRecord => (data.servers[server] ??= { history: [] });

  return {
    file,
    loaded: read.status,
    problem,
    overrideOf: (server) => data.servers[server]?.override,
    overrides: () =>
      Object.fromEntries(Object.entries(data.servers).flatMap(([name, r]) => (r.override ? [[name, r.override.state]] : []))),
    setOverride(server, state, via = 'control') {
      const record = recordOf(server);
      if (state === null) {
        if (!record.override) return;
        delete record.override;
      } else {
        record.override = { state, at: new Date().toISOString(), via };
      }
      schedule();
    },
    record(server, entry) {
      const history = recordOf(server).history;
      history.push({ ...entry, at: entry.at ?? new Date().toISOString() });
      if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
      schedule();
    },
    history: (server) => data.servers[server]?.history ?? [],
    upstream: (server, topic) => data.upstream[server]?.[topic],
    setUpstream(server, topic, value) {
      (data.upstream[server] ??= {})[topic] = value;
      schedule();
    },
    retain(servers) {
      const keep = new Set(servers);
      let changed = false;
      for (const name of Object.keys(data.servers)) if (!keep.has(name)) changed = delete data.servers[name];
      for (const name of Object.keys(data.upstream)) if (!keep.has(name)) changed = delete data.upstream[name];
      if (changed) schedule();
    },
    flush: () => writer.flush(),
    flushSync: () => writer.flushSync(),
  };
}
