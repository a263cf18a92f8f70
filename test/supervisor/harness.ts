/**
 * Helpers for integration tests that run a real manager over real child processes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createControlClient } from '../../src/control/client.js';
import type { ServerStatus, StatusSnapshot } from '../../src/control/types.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import { startManager } from '../../src/supervisor/start.js';
import type { RunningManager } from '../../src/supervisor/types.js';
import { socketPathOf } from '../../src/state/paths.js';
import { waitFor } from '../helpers/processes.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const ECHO = join(REPO, 'test/fixtures/servers/echo.mjs');
export const WRAPPER = join(REPO, 'test/fixtures/servers/wrapper.mjs');
export const CLI = join(REPO, 'dist/src/cli/main.js');

/** A temp dir short enough for a unix socket path. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mm-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  return { dir, cleanup };
}

/** Write a YAML config with echo-fixture servers; `servers` is the YAML body of `servers:`. */
export function writeConfig(dir: string, servers: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, `manager:\n  shutdown_timeout: 20s\nservers:\n${servers}`);
  return file;
}

/** A YAML server entry running the echo fixture with env flags. */
export function echoServer(name: string, env: Record<string, string> = {}, extra = ''): string {
  const envLines = Object.entries(env)
    .map(([k, v]) => `      ${k}: "${v}"`)
    .join('\n');
  return [
    `  ${name}:`,
    `    command: ${process.execPath}`,
    `    args: ["${ECHO}"]`,
    `    stop_grace: 0.2`,
    `    stop_timeout: 1`,
    `    backoff: { initial: 0.05, max: 0.2, jitter: 0 }`,
    ...(envLines ? ['    env:', envLines] : []),
    ...(extra ? extra.split('\n').map((l) => `    ${l}`) : []),
    '',
  ].join('\n');
}

/** How many `hold` calls (echo.mjs) the server has started so far, from its log in the state dir. */
export function holdStarts(stateDir: string, server: string): number {
  try {
    return readFileSync(join(stateDir, 'logs', `${server}.log`), 'utf8')
      .split('\n')
      .filter((line) => line.includes('tool hold start')).length;
  } catch {
    return 0;
  }
}

export interface Running {
  manager: RunningManager;
  status(detailed?: boolean): Promise<StatusSnapshot>;
  server(name: string, detailed?: boolean): Promise<ServerStatus>;
  waitState(name: string, state: string | ((s: ServerStatus) => boolean), timeoutMs?: number): Promise<ServerStatus>;
  control: ReturnType<typeof createControlClient>;
}

export async function runManager(
  configFile: string,
  stateDir: string,
  options: { http?: { host: string; port: number }; logger?: Logger } = {},
): Promise<Running> {
  const manager = await startManager({ configFile, stateDir, logger: silentLogger(), env: process.env, ...options });
  const control = createControlClient(socketPathOf(stateDir));
  const status = (detailed = false) => control.status({ detailed });
  const server = async (name: string, detailed = false) => {
    const found = (await status(detailed)).servers.find((s) => s.name === name);
    if (!found) throw new Error(`no server ${name} in status`);
    return found;
  };
  const waitState = (name: string, state: string | ((s: ServerStatus) => boolean), timeoutMs = 15_000) =>
    waitFor(
      async () => {
        const s = await server(name, true);
        return (typeof state === 'string' ? s.state === state : state(s)) ? s : undefined;
      },
      { timeoutMs, what: `${name} to reach ${typeof state === 'string' ? state : 'condition'}` },
    );
  return { manager, status, server, waitState, control };
}
