import type { ConfigResult } from '../config/load.js';
import type { Logger } from '../logger.js';
import type { RunningManager, StartOptions } from '../supervisor/types.js';
import type { Printer } from './print.js';

/** What `start` passes to `startManager`. */
export interface CliStartOptions extends StartOptions {
  http?: { host: string; port: number };
  stdio?: boolean;
}

export type StartManager = (options: CliStartOptions) => Promise<RunningManager>;

export type ReadConfig = (file: string, options: { env: NodeJS.ProcessEnv }) => Promise<ConfigResult>;

/** Everything a command touches in the world, so tests can run commands in-process. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  print: Printer;
  /** Subscribe to SIGINT/SIGTERM; returns the unsubscribe function. */
  onSignal(handler: (signal: NodeJS.Signals) => void): () => void;
  /**
   * Subscribe to crashes of this process (an uncaught exception or unhandled rejection);
   * returns the unsubscribe function. Only the CLI's own process has one: the library
   * never takes its host's crashes.
   */
  onCrash?(handler: (error: unknown) => void): () => void;
  /** How to run this CLI again (for `start --daemon`): executable and leading arguments. */
  self: { command: string; args: readonly string[] };
  /** Defaults: the real modules, imported only by the commands that need them. */
  readConfig?: ReadConfig;
  startManager?: StartManager;
  createLogger?: () => Logger;
  /** The platform whose client paths `connect` uses; default `process.platform`. */
  platform?: NodeJS.Platform;
  /** Whether systemd runs here (`service install` then enables the unit); default: /run/systemd/system exists. */
  systemdRunning?: boolean;
  /** Ask the user for a value (`add --from-catalog`); default: a prompt on the terminal, none without one. */
  prompt?: (question: string) => Promise<string>;
}

export async function loadReadConfig(ctx: CliContext): Promise<ReadConfig> {
  if (ctx.readConfig) return ctx.readConfig;
  const module: { readConfig: ReadConfig } = await import('../config/load.js');
  return module.readConfig;
}

export async function loadStartManager(ctx: CliContext): Promise<StartManager> {
  if (ctx.startManager) return ctx.startManager;
  const module: { startManager: StartManager } = await import('../supervisor/start.js');
  return module.startManager;
}

/** `onCrash` for the real process: uncaught exceptions and unhandled rejections. */
export function processCrashes(handler: (error: unknown) => void): () => void {
  process.on('uncaughtException', handler);
  process.on('unhandledRejection', handler);
  return () => {
    process.off('uncaughtException', handler);
    process.off('unhandledRejection', handler);
  };
}

/** `onSignal` for the real process: SIGINT and SIGTERM. */
export function processSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
