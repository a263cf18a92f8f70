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

export function createReloader(
  file: string,
  env: NodeJS.ProcessEnv,
  target: ReloadTarget,
  logger: Logger,
  options: ReloaderOptions = {},
  /** Told of every reload's report (metrics). */
  onReport?: (report: ReloadReport) => void,
) {
  let running: Promise<ReloadReport> | undefined;
  let again = false;
  const once = async (): Promise<ReloadReport> => {
    const report = await attempt();
    onReport?.(report);
    return report;
  };
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
    }
    return { ok: true, added: diff.added, removed: diff.removed, changed: diff.changed };
  };
  /** Reloads never overlap; a request during one runs once more after it. */
  return function reload(): Promise<ReloadReport> {
    if (running) {
      again = true;
      return running;
    }
    running = once().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        void reload();
      }
    });
    return running;
  };
}
