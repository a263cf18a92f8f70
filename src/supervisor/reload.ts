/**
 * Reload: read the config file again; if it is valid, apply only what changed; if not,
 * keep the last good config running and report why.
 */
import { readConfig } from '../config/load.js';
import type { Config, ServerConfig } from '../config/types.js';
import type { ReloadReport } from '../control/types.js';
import { formatConfigIssue } from '../errors.js';
import type { Logger } from '../logger.js';

export interface ReloadTarget {
  current(): Config;
  /** Make `next` the running config; `changed` lists servers whose config differs in any way. */
  apply(next: Config, diff: { added: string[]; removed: string[]; changed: string[] }): void;
}

export function diffConfigs(before: Config, after: Config): { added: string[]; removed: string[]; changed: string[] } {
  const old = new Map(before.servers.map((s) => [s.name, s]));
  const next = new Map(after.servers.map((s) => [s.name, s]));
  const same = (a: ServerConfig, b: ServerConfig) => JSON.stringify(a) === JSON.stringify(b);
  return {
    added: after.servers.filter((s) => !old.has(s.name)).map((s) => s.name),
    removed: before.servers.filter((s) => !next.has(s.name)).map((s) => s.name),
    changed: after.servers.filter((s) => old.has(s.name) && !same(old.get(s.name)!, s)).map((s) => s.name),
  };
}

export function createReloader(
  file: string,
  env: NodeJS.ProcessEnv,
  target: ReloadTarget,
  logger: Logger,
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
    const result = await readConfig(file, { env });
    if (!result.ok) {
      for (const issue of result.issues) logger.error({ file: issue.file }, `config reload rejected: ${formatConfigIssue(issue)}`);
      logger.warn('the last good config keeps running');
      return { ok: false, added: [], removed: [], changed: [], issues: result.issues };
    }
    for (const warning of result.warnings) logger.warn(formatConfigIssue(warning));
    const diff = diffConfigs(target.current(), result.config);
    if (diff.added.length + diff.removed.length + diff.changed.length > 0) {
      logger.info(diff, 'config reloaded');
      target.apply(result.config, diff);
    }
    return { ok: true, ...diff };
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
