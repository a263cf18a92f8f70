/**
 * Re-read the manager's config file after a change: the same checks as at startup (the
 * config loader), the guarded reader's limits (size, binary data, links), and the diff
 * against the last good config. An invalid edit is an `ok: false` with every issue; the
 * caller keeps running `lastGood`. Never throws.
 */
import { parseConfigText } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { ConfigIssue } from '../errors.js';
import { diffConfigs, type ConfigDiff } from './diff.js';
import { readTextFile, type ReadTextOptions } from './read-text.js';

export type ReloadResult = { ok: true; config: Config; diff: ConfigDiff; warnings: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

export async function reloadConfig(file: string, lastGood: Config, env: NodeJS.ProcessEnv = process.env, options: ReadTextOptions = {}): Promise<ReloadResult> {
  try {
    const read = await readTextFile(file, options);
    if (!read.ok) return { ok: false, issues: [read.issue] };
    const parsed = parseConfigText(read.text, file, { env });
    if (!parsed.ok) return { ok: false, issues: parsed.issues };
    return { ok: true, config: parsed.config, diff: diffConfigs(lastGood, parsed.config), warnings: parsed.warnings };
  } catch (error) {
    return { ok: false, issues: [{ file, path: '', message: `cannot reload: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}
