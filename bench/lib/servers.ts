/** Where things are, and the fixture servers and configs the benchmarks start. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The repo's small SDK McpServer over stdio (tools: echo, add, pid, sleep, env, stderr, garbage). */
export const ECHO_SERVER = join(REPO_ROOT, 'test', 'fixtures', 'servers', 'echo.mjs');

/** How a benchmark starts one stdio server: the same command for the manager and for the baseline. */
export interface ServerCommand {
  command: string;
  args: string[];
}

export function echoServerCommand(): ServerCommand {
  if (!existsSync(ECHO_SERVER)) throw new Error(`fixture server not found: ${ECHO_SERVER}`);
  return { command: process.execPath, args: [ECHO_SERVER] };
}

const SETSID = ['/usr/bin/setsid', '/bin/setsid'].find((path) => existsSync(path));

/**
 * `server` started in its own session, as the manager starts every stdio server
 * (`detached: true`). On Linux with autogroup scheduling (sched_autogroup_enabled=1) each
 * session gets an equal share of CPU, so 200 servers in 200 sessions out-compete other
 * work on the machine, while 200 servers in the orchestrator's one session share a single
 * slice. For a fair baseline its servers get their own sessions too. setsid(1) calls
 * setsid() and execs (no fork: the SDK child is not a group leader), so the pid stays the
 * server's. Undefined where setsid(1) is missing (then there is no autogroup either).
 */
export function inOwnSession(server: ServerCommand): ServerCommand | undefined {
  if (process.platform !== 'linux' || !SETSID) return undefined;
  return { command: SETSID, args: [server.command, ...server.args] };
}

/**
 * A fresh temp dir with a short name: the manager's control socket lives in the state
 * dir below it, and unix socket paths must stay under 107 bytes.
 */
export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'mb-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

export const serverName = (i: number): string => `s${i + 1}`;

/**
 * A manager config with `count` copies of `server` named s1..sN. YAML, with every
 * string JSON-quoted (JSON strings are valid YAML double-quoted scalars).
 */
export function managerConfigYaml(
  count: number,
  server: ServerCommand,
  options: { startupTimeoutS?: number; logLevel?: string } = {},
): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['manager:', `  log_level: ${options.logLevel ?? 'warn'}`, 'servers:'];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  ${serverName(i)}:`,
      `    command: ${q(server.command)}`,
      `    args: [${server.args.map(q).join(', ')}]`,
      `    startup_timeout: ${options.startupTimeoutS ?? 120}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function writeManagerConfig(dir: string, count: number, server: ServerCommand): Promise<string> {
  const file = join(dir, 'config.yaml');
  await writeFile(file, managerConfigYaml(count, server));
  return file;
}
