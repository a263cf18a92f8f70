#!/usr/bin/env node
/**
 * mcp-task-runner — an MCP server (stdio) that runs markdown task lists through an executor.
 *
 *   mcp-task-runner [--base-dir DIR] [--executor COMMAND]
 *
 * base dir (default `base_dir` of every tool; relative `base_dir` values resolve against it):
 *   --base-dir DIR, else TASK_RUNNER_BASE_DIR, else $XDG_DATA_HOME/mcp-task-runner,
 *   else ~/.local/share/mcp-task-runner
 * executor (gets the task file's content on stdin; run without a shell, in its own process group):
 *   --executor COMMAND, else TASK_RUNNER_EXECUTOR, else `claude -p` if `claude` is on PATH.
 *   COMMAND is words with simple quoting ('a b', "a b", \x) or a JSON array of strings.
 * TASK_RUNNER_KILL_GRACE_MS: wait between SIGTERM and SIGKILL of a task's process group (default 2000).
 * MCP_MANAGER_LOG_LEVEL: log level; logs go to stderr, stdout carries only MCP.
 *
 * Exit codes: 0 after a clean shutdown, 1 on a startup failure, 2 on a usage error.
 */
import { homedir } from 'node:os';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { createLogger } from '../../logger.js';
import { findOnPath, resolveOptions } from './options.js';
import { createRunRegistry } from './runs.js';
import { createTaskRunnerServer, SERVER_NAME, SERVER_VERSION } from './server.js';
import { createStateStore } from './state.js';

const USAGE = `usage: ${SERVER_NAME} [--base-dir DIR] [--executor COMMAND]
  --base-dir DIR       default base_dir (env TASK_RUNNER_BASE_DIR; default $XDG_DATA_HOME/mcp-task-runner)
  --executor COMMAND   command given each task on stdin (env TASK_RUNNER_EXECUTOR; default "claude -p")
  --help, --version
`;

function parseCommandLine(argv: string[]): { baseDir?: string | undefined; executor?: string | undefined } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        'base-dir': { type: 'string' },
        executor: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
    // Asked-for help and version go to stdout: no MCP session exists in these cases.
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (values.version) {
      process.stdout.write(`${SERVER_VERSION}\n`);
      process.exit(0);
    }
    return { baseDir: values['base-dir'], executor: values.executor };
  } catch (error) {
    process.stderr.write(`${SERVER_NAME}: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const flags = parseCommandLine(process.argv.slice(2));
  const logger = createLogger().child({ component: SERVER_NAME });
  const options = resolveOptions({ flags, env: process.env, home: homedir(), findOnPath: (cmd) => findOnPath(cmd, process.env.PATH) });
  if (options.executor.argv === null) logger.warn(options.executor.problem);
  logger.info({ baseDir: options.baseDir, baseDirSource: options.baseDirSource, executor: options.executor }, 'starting');

  const runs = createRunRegistry();
  const server = createTaskRunnerServer({ options, state: createStateStore(), runs, logger, seenProjects: new Set() });

  let shuttingDown = false;
  const shutdown = (why: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ why }, 'shutting down');
    void runs
      .stopAll(`server shutting down (${why})`)
      .then(() => server.close())
      .catch((error: unknown) => logger.error({ err: error }, 'error during shutdown'))
      .finally(() => logger.flush(() => process.exit(0)));
  };
  process.stdin.once('end', () => shutdown('stdin closed'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  await server.connect(new StdioServerTransport());
}

main().catch((error: unknown) => {
  process.stderr.write(`${SERVER_NAME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
