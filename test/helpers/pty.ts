/**
 * Run the built CLI in a pseudo-terminal (node-pty): what a user at a terminal sees,
 * colour codes and redraws included.
 */
import { spawn, type IPty } from 'node-pty';
import { join, resolve } from 'node:path';
import { waitFor } from './processes.js';

export const CLI = join(resolve(import.meta.dirname, '../..'), 'dist/src/cli/main.js');

export interface Terminal {
  readonly pty: IPty;
  output(): string;
  /** Wait until the output (from `from`) matches; returns the whole output. */
  waitForOutput(match: string | RegExp, options?: { timeoutMs?: number; from?: number }): Promise<string>;
  write(keys: string): void;
  exited: Promise<{ exitCode: number; signal?: number }>;
  /** Kill it if still running (cleanup). */
  kill(): void;
}

/** Environment without the caller's colour settings. */
export function terminalEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== 'NO_COLOR' && key !== 'FORCE_COLOR' && !key.startsWith('VITEST')) env[key] = value;
  }
  return { ...env, TERM: 'xterm-256color', ...extra };
}

export function runInTerminal(args: readonly string[], env: Record<string, string>, cwd = process.cwd()): Terminal {
  const pty = spawn(process.execPath, [CLI, ...args], { env, cwd, cols: 200, rows: 40, name: 'xterm-256color' });
  let out = '';
  pty.onData((data) => {
    out += data;
  });
  let running = true;
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolveExit) => {
    pty.onExit((e) => {
      running = false;
      resolveExit(e);
    });
  });
  return {
    pty,
    output: () => out,
    waitForOutput: (match, options = {}) =>
      waitFor(
        () => {
          const seen = out.slice(options.from ?? 0);
          return (typeof match === 'string' ? seen.includes(match) : match.test(seen)) ? out : undefined;
        },
        { timeoutMs: options.timeoutMs ?? 20_000, what: `terminal output ${String(match)}` },
      ),
    write: (keys) => pty.write(keys),
    exited,
    kill: () => {
      if (running) pty.kill('SIGKILL');
    },
  };
}
