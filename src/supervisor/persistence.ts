/**
 * What the manager keeps in its state dir while it runs, built in one step of the
 * composition root: the orphan sweep after a crashed predecessor, the desired state
 * (operators' decisions and per-server history, state.json), the record of spawned
 * children (children.json) and the per-server log files.
 */
import type { Override } from '../../machines/supervisor.machine.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../logger.js';
import { createChildrenRegistry, describeSweep, sweepOrphans, type ChildrenRegistry } from '../state/children.js';
import { openDesiredState, type DesiredStateStore } from '../state/desired-state.js';
import { createServerLogs, type ServerLogs } from '../state/log-files.js';
import type { StaleHolder } from '../state/lock.js';
import { logFileOf } from '../state/paths.js';
import { removeStaleTemps } from '../state/temp-files.js';
import type { Transition } from '../control/transitions.js';

export interface Persistence {
  readonly store: DesiredStateStore;
  readonly children: ChildrenRegistry;
  readonly serverLogs: ServerLogs;
  /** Warnings for `status`: an unusable state file, what the sweep stopped. */
  readonly notices: string[];
  /** Operators' decisions to apply on top of the config at start. */
  overrides(): Record<string, Override>;
  /** Keep the file in step with the supervisor's override for `server` after a command. */
  syncOverride(server: string, override: Override | undefined, via?: string): void;
  /** Follow the transition feed: restarts and exits go into the history. */
  observe(transition: Transition): void;
  /** The config changed: drop servers no longer in it. */
  retain(config: Config): void;
  close(): Promise<void>;
  /** On process exit: what is unsaved, synchronously. */
  exitSync(): void;
}

export interface PersistenceOptions {
  stateDir: string;
  config: Config;
  logger: Logger;
  /** Set when the lock of a manager that did not clean up was taken over. */
  takenOver: StaleHolder | null;
}

/** Run before anything is spawned. */
export async function openPersistence(options: PersistenceOptions): Promise<Persistence> {
  const { stateDir, config, logger } = options;
  const notices: string[] = [];

  if (options.takenOver) {
    logger.warn(
      { stalePid: options.takenOver.pid, reason: options.takenOver.reason },
      `took over the stale lock of a previous manager (pid ${options.takenOver.pid}) that did not shut down cleanly: ${options.takenOver.reason}`,
    );
  }
  const temps = removeStaleTemps(stateDir);
  if (temps.length > 0) logger.info({ removed: temps }, `removed ${temps.length} temp file(s) of writes cut short: ${temps.join(', ')}`);
  // children of a predecessor are recorded only until it stopped them; leftovers mean it did not
  const longestStop = Math.max(1_000, ...config.servers.map((s) => s.stopTimeoutMs));
  const sweep = await sweepOrphans(stateDir, { timeoutMs: longestStop });
  const swept = describeSweep(sweep);
  if (swept) {
    logger.warn({ swept: sweep.swept, leftAlone: sweep.leftAlone }, swept);
    notices.push(swept);
  }

  const store = await openDesiredState(stateDir, logger);
  if (store.problem) notices.push(store.problem);
  store.retain(config.servers.map((s) => s.name));
  const children = createChildrenRegistry(stateDir, logger);
  const serverLogs = createServerLogs({
    fileOf: (server) => logFileOf(stateDir, server),
    rotation: { maxSizeBytes: config.manager.logMaxSizeBytes, keep: config.manager.logKeep },
    onError: (server, error) => logger.warn({ server, err: error.message }, 'server log file problem'),
  });

  // restart counts seen per instance, so each restart is recorded once
  const restartsSeen = new Map<string, number>();
  return {
    store,
    children,
    serverLogs,
    notices,
    overrides: () => store.overrides(),
    syncOverride: (server, override, via) => store.setOverride(server, override ?? null, via),
    observe(t) {
      if (t.event === 'server.exited') {
        store.record(t.server, { kind: 'exit', instance: t.instance, exitCode: t.exitCode, signal: t.signal, reason: t.reason });
      }
      if (t.restarts > (restartsSeen.get(t.instance) ?? 0)) {
        store.record(t.server, { kind: 'restart', instance: t.instance, exitCode: t.exitCode, signal: t.signal, reason: t.reason });
      }
      if (t.to === 'removed') restartsSeen.delete(t.instance);
      else restartsSeen.set(t.instance, Math.max(restartsSeen.get(t.instance) ?? 0, t.restarts));
    },
    retain: (next) => store.retain(next.servers.map((s) => s.name)),
    async close() {
      await Promise.allSettled([store.flush(), children.flush(), serverLogs.close()]);
    },
    exitSync() {
      store.flushSync();
      children.flushSync();
    },
  };
}
