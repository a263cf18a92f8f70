/**
 * Reload: read the config file again through the one guarded reader, off the main thread
 * (`readConfigIsolated`); if it is valid, apply only what changed (the one config diff);
 * if not, keep the last good config running and report why. Used by the config watch,
 * SIGHUP and the control API's `reload`.
 */
import { readConfigIsolated } from '../config/read-isolated.js';
import type { Config } from '../config/types.js';
import type { ReloadReport } from '../control/types.js';
import { diffConfigs, type ConfigDiff } from '../discovery/diff.js';
import { formatConfigIssue } from '../errors.js';
import type { Logger } from '../logger.js';
import { specOf } from './spec.js';

export interface ReloadTarget {
  current(): Config;
  /** Make `next` the running config. */
  apply(next: Config, diff: ConfigDiff): void;
}

export interface ReloaderOptions {
  /** Deadline of one read-and-check (default `CONFIG_PARSE_DEADLINE_MS`). */
  deadlineMs?: number;
}

/** Applied changes kept for `reload({ since })`; an older `since` gets only these. */
const KEPT_GENERATIONS = 64;

export interface Reloader {
  /**
   * Read the file again and apply what changed. With `since` (a `generation()` read before
   * an edit), an applied report lists everything applied after that generation, so an edit
   * the config watch applied first is still reported to whoever made it.
   */
  (options?: { since?: number }): Promise<ReloadReport>;
  /** How many reloads have changed the running config so far. */
  generation(): number;
}

export function createReloader(
  file: string,
  env: NodeJS.ProcessEnv,
  target: ReloadTarget,
  logger: Logger,
  options: ReloaderOptions = {},
  /** Told of every reload's report (metrics). */
  onReport?: (report: ReloadReport) => void,
): Reloader {
  let generation = 0;
  const applied: { generation: number; diff: Pick<ReloadReport, 'added' | 'removed' | 'changed'> }[] = [];
  const attempt = async (): Promise<ReloadReport> => {
    const result = await readConfigIsolated(file, { env, ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }) });
    if (!result.ok) {
      for (const issue of result.issues) logger.error({ file: issue.file }, `config reload rejected: ${formatConfigIssue(issue)}`);
      logger.warn({ file }, 'the last good config keeps running');
      return { ok: false, added: [], removed: [], changed: [], issues: result.issues };
    }
    for (const warning of result.warnings) logger.warn(formatConfigIssue(warning));
    const diff = diffConfigs(target.current(), result.config, specOf);
    if (diff.added.length + diff.removed.length + diff.changed.length > 0) {
      logger.info({ added: diff.added, removed: diff.removed, changed: diff.changed, replaced: diff.replaced }, 'config reloaded');
      target.apply(result.config, diff);
      applied.push({ generation: ++generation, diff: { added: diff.added, removed: diff.removed, changed: diff.changed } });
      if (applied.length > KEPT_GENERATIONS) applied.shift();
    }
    return { ok: true, added: diff.added, removed: diff.removed, changed: diff.changed };
  };
  const once = async (): Promise<ReloadReport> => {
    const report = await attempt();
    onReport?.(report);
    return report;
  };

  /** Reloads never overlap: a request during one joins the next, which reads the file after the request. */
  let running: Promise<ReloadReport> | undefined;
  let queued: Promise<ReloadReport> | undefined;
  const run = (): Promise<ReloadReport> => {
    if (running) {
      queued ??= running
        .then(
          () => undefined,
          () => undefined,
        )
        .then(() => {
          queued = undefined;
          return run();
        });
      return queued;
    }
    runFrom = generation;
    running = once().finally(() => (running = undefined));
    return running;
  };

  /** The generation when the running reload began. */
  let runFrom = 0;
  const reload = async (request: { since?: number } = {}): Promise<ReloadReport> => {
    // a request made during a reload is told what that one applied too: it may be the edit the
    // caller made (the config watch saw it first)
    const since = request.since ?? (running ? runFrom : undefined);
    const report = await run();
    if (!report.ok || since === undefined) return report;
    return { ...report, ...changesSince(applied, since) };
  };
  return Object.assign(reload, { generation: () => generation });
}

/** Everything applied after generation `since`, in order: a server added then removed again is in neither list. */
function changesSince(
  applied: readonly { generation: number; diff: Pick<ReloadReport, 'added' | 'removed' | 'changed'> }[],
  since: number,
): Pick<ReloadReport, 'added' | 'removed' | 'changed'> {
  const added = new Set<string>();
  const removed = new Set<string>();
  const changed = new Set<string>();
  for (const { generation, diff } of applied) {
    if (generation <= since) continue;
    for (const name of diff.added) {
      if (removed.delete(name)) changed.add(name);
      else added.add(name);
    }
    for (const name of diff.removed) {
      changed.delete(name);
      if (!added.delete(name)) removed.add(name);
    }
    for (const name of diff.changed) if (!added.has(name)) changed.add(name);
  }
  return { added: [...added], removed: [...removed], changed: [...changed] };
}
