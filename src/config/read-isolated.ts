/**
 * Read and check a config file in a worker thread, with a deadline and a heap limit, so a
 * slow or huge parse never blocks the thread that serves calls, probes and signals. The
 * manager reads its config this way at start and on every reload; the result is the same
 * `ConfigResult` `readConfig` gives (plain data). Never throws for problems in the file.
 */
import { registerServerSecrets } from '../redact.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { errorMessage, type ConfigIssue } from '../errors.js';
import { configOrThrow, type ConfigResult, type LoadOptions } from './load.js';
import type { Config } from './types.js';

/** How long reading and checking one file may take (a file within the size limit takes well under a second). */
export const CONFIG_PARSE_DEADLINE_MS = 30_000;
/** Heap of the parsing thread: a file within the size limit needs a fraction of it. */
const PARSE_HEAP_MB = 512;

export interface IsolatedLoadOptions extends LoadOptions {
  deadlineMs?: number;
}

/**
 * The compiled worker next to this module (dist/), else the TS source through tsx (tests,
 * tsx runs): a worker's entry is loaded before `--import` hooks apply, so a one-line JS
 * entry registers tsx and then imports the TS one.
 */
function workerEntry(): { script: string; eval: boolean; execArgv: string[] } {
  const compiled = new URL('./read-worker.js', import.meta.url);
  if (existsSync(compiled)) return { script: fileURLToPath(compiled), eval: false, execArgv: [] };
  const source = JSON.stringify(new URL('./read-worker.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return { script: `import(${tsx}).then((tsx) => { tsx.register(); return import(${source}); });`, eval: true, execArgv: [] };
}

export function readConfigIsolated(file: string, options: IsolatedLoadOptions = {}): Promise<ConfigResult> {
  const absolute = path.resolve(file);
  const deadlineMs = options.deadlineMs ?? CONFIG_PARSE_DEADLINE_MS;
  const failed = (message: string): ConfigResult => ({ ok: false, issues: [{ file: absolute, path: '', message }] });
  const entry = workerEntry();
  return new Promise<ConfigResult>((resolve) => {
    let settled = false;
    const worker = new Worker(entry.script, {
      eval: entry.eval,
      workerData: { file: absolute, env: { ...(options.env ?? process.env) } },
      execArgv: entry.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: PARSE_HEAP_MB },
      stdout: true,
      stderr: true,
    });
    const settle = (result: ConfigResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
      void worker.terminate();
    };
    const timer = setTimeout(
      () => settle(failed(`reading and checking the file took longer than ${deadlineMs / 1000} s: not loaded`)),
      deadlineMs,
    );
    // the manager may stop while a reload is under way: the thread must not keep it alive
    timer.unref();
    worker.unref();
    worker.once('message', (result: ConfigResult) => {
      // the thread's redaction registry dies with it: the values it read are secrets here too
      if (result.ok) registerServerSecrets(result.config.servers);
      settle(result);
    });
    worker.once('error', (error: Error & { code?: string }) => {
      const reason =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `needs more than ${PARSE_HEAP_MB} MB of memory to read` : errorMessage(error);
      settle(failed(`cannot read the file: ${reason}`));
    });
    worker.once('exit', (code) => settle(failed(`cannot read the file: the reading thread ended (code ${code})`)));
  });
}

/** `readConfigIsolated`, returning the Config or throwing `ConfigError` (`CONFIG_NOT_FOUND` for a missing file). */
export async function loadConfig(
  file: string,
  options: IsolatedLoadOptions & { onWarning?: (warning: ConfigIssue) => void } = {},
): Promise<Config> {
  return configOrThrow(await readConfigIsolated(file, options), options.onWarning);
}
