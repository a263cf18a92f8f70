import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** Drives the BUILT task-runner server as a real process through the SDK client. */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SERVER_MAIN = path.join(repoRoot, 'dist/src/servers/task-runner/main.js');
export const FIXTURES = path.join(repoRoot, 'test/fixtures/executors');

/** An executor setting (JSON array form) running a fixture script with node. */
export function fixtureExecutor(name: string, ...args: string[]): string {
  return JSON.stringify([process.execPath, path.join(FIXTURES, name), ...args]);
}

export interface TaskRow {
  task: string;
  status: string;
  pid: number | null;
  stale?: boolean;
  [key: string]: unknown;
}

/** The JSON text of a tool answer, with the fields the tests look at. */
export interface ToolBody {
  success: boolean;
  error?: string;
  code?: string;
  fields?: string[];
  problems?: string[];
  tasks?: TaskRow[];
  warnings?: string[];
  project_dir?: string;
  [key: string]: unknown;
}

export interface ToolAnswer {
  isError: boolean;
  body: ToolBody;
}

export interface RunningServer {
  client: Client;
  /** Pid of the server process. */
  pid: number;
  call(name: string, args?: Record<string, unknown>, options?: RequestOptions): Promise<ToolAnswer>;
  /** Everything the server wrote to stderr so far (for failure messages). */
  stderr(): string;
  close(): Promise<void>;
}

export async function startServer(env: Record<string, string>, args: string[] = []): Promise<RunningServer> {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER_MAIN, ...args],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      TASK_RUNNER_KILL_GRACE_MS: '300',
      MCP_MANAGER_LOG_LEVEL: 'warn',
      ...env,
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'task-runner-test', version: '0.0.0' });
  await client.connect(transport);
  return {
    client,
    pid: transport.pid!,
    async call(name, toolArgs = {}, options) {
      const result = (await client.callTool({ name, arguments: toolArgs }, undefined, options)) as CallToolResult;
      const first = result.content[0];
      if (first?.type !== 'text') throw new Error(`tool ${name} returned no text content`);
      return { isError: result.isError === true, body: JSON.parse(first.text) as ToolBody };
    },
    stderr: () => stderr,
    close: () => client.close(),
  };
}

/** A temp dir removed by the returned cleanup. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'task-runner-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeTaskList(file: string, titles: string[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const text = ['# Plan', '', ...titles.flatMap((title, i) => [`## Task ${i + 1}: ${title}`, '', `Do ${title.toLowerCase()}.`, ''])].join(
    '\n',
  );
  await writeFile(file, text, 'utf8');
}

/** Whether a process is running; zombies (dead but unreaped) count as gone. */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

export function readPids(file: string): { leader: number; child: number } | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { leader: number; child: number }) : null;
}

/** Kill a fixture process left behind by a failed test; only pids the test's own fixtures wrote. */
export function killIfRunning(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
