import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { DEFAULTS } from './defaults.js';
import { splitCommand } from './split-command.js';

/**
 * Where the runner's defaults come from (first match wins):
 *
 * base dir:  --base-dir DIR  >  TASK_RUNNER_BASE_DIR  >  $XDG_DATA_HOME/mcp-task-runner
 *            >  ~/.local/share/mcp-task-runner
 * executor:  --executor CMD  >  TASK_RUNNER_EXECUTOR  >  `claude -p` when `claude` is on PATH
 *            (otherwise runs fail with EXECUTOR_UNAVAILABLE, saying how to configure one)
 * kill grace: TASK_RUNNER_KILL_GRACE_MS  >  DEFAULTS.killGraceMs
 */
export type Source = 'flag' | 'env' | 'default';

export type ExecutorSetting = { argv: readonly string[]; source: Source } | { argv: null; problem: string };

export interface RunnerOptions {
  /** Absolute. The default `base_dir` of every tool; relative `base_dir` values resolve against it. */
  baseDir: string;
  baseDirSource: Source;
  executor: ExecutorSetting;
  killGraceMs: number;
}

export interface OptionInputs {
  flags: { baseDir?: string | undefined; executor?: string | undefined };
  env: Record<string, string | undefined>;
  home: string;
  /** Looks a command up on PATH; injected so tests need no real PATH. */
  findOnPath: (command: string) => string | null;
}

export const EXECUTOR_HELP =
  'configure one with --executor "<command> <args>" or TASK_RUNNER_EXECUTOR (words, or a JSON array of strings); ' +
  "it gets the task file's content on stdin";

export function resolveOptions(inputs: OptionInputs): RunnerOptions {
  const { flags, env } = inputs;
  const [baseDir, baseDirSource] = pick(flags.baseDir, env.TASK_RUNNER_BASE_DIR) ?? [defaultBaseDir(env, inputs.home), 'default'];
  return {
    baseDir: path.resolve(expandHome(baseDir, inputs.home)),
    baseDirSource,
    executor: resolveExecutor(flags.executor, env, inputs.findOnPath),
    killGraceMs: parseGrace(env.TASK_RUNNER_KILL_GRACE_MS),
  };
}

function pick(flag: string | undefined, envValue: string | undefined): [string, Source] | undefined {
  if (flag !== undefined && flag !== '') return [flag, 'flag'];
  if (envValue !== undefined && envValue !== '') return [envValue, 'env'];
  return undefined;
}

function defaultBaseDir(env: Record<string, string | undefined>, home: string): string {
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  const dataHome = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'share');
  return path.join(dataHome, 'mcp-task-runner');
}

export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

function resolveExecutor(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  findOnPath: (command: string) => string | null,
): ExecutorSetting {
  const chosen = pick(flag, env.TASK_RUNNER_EXECUTOR);
  if (chosen) {
    const [text, source] = chosen;
    const where = source === 'flag' ? '--executor' : 'TASK_RUNNER_EXECUTOR';
    try {
      return { argv: splitCommand(text), source };
    } catch (error) {
      return { argv: null, problem: `${where} is invalid: ${(error as Error).message}; ${EXECUTOR_HELP}` };
    }
  }
  const [command = 'claude', ...args] = DEFAULTS.executor;
  if (findOnPath(command) !== null) return { argv: [command, ...args], source: 'default' };
  return { argv: null, problem: `no executor configured and \`${command}\` is not on PATH; ${EXECUTOR_HELP}` };
}

function parseGrace(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULTS.killGraceMs;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULTS.killGraceMs;
}

/** The first executable `command` on `pathVariable`, or null. Commands with a slash are checked as given. */
export function findOnPath(command: string, pathVariable: string | undefined): string | null {
  const candidates = command.includes('/')
    ? [command]
    : (pathVariable ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}
