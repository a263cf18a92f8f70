/** `start` in the foreground on a terminal: servers coming up, then where to connect. */
import { createControlClient } from '../control/client.js';
import { createLogger, type Logger } from '../logger.js';
import { controlTransition } from '../supervisor/control-events.js';
import type { RunningManager } from '../supervisor/types.js';
import { ensureStateDir, managerLogOf } from '../state/paths.js';
import pino from 'pino';
import type { CliContext } from './context.js';
import { showProgress } from './start-progress.js';

/** The manager's JSON log lines to `<state-dir>/logs/manager.log` only (the terminal shows progress). */
export function terminalLogger(stateDir: string, env: NodeJS.ProcessEnv): Logger {
  ensureStateDir(stateDir);
  const destination = pino.destination({ dest: managerLogOf(stateDir), mkdir: true, append: true, sync: false });
  return createLogger({ destination, ...(env.MCP_MANAGER_LOG_LEVEL ? { level: env.MCP_MANAGER_LOG_LEVEL } : {}) });
}

export async function followStart(manager: RunningManager, configFile: string, ctx: CliContext, stopping: () => boolean): Promise<void> {
  const status = await createControlClient(manager.socketPath).status();
  await showProgress(ctx, {
    title: 'starting servers',
    servers: status.servers,
    socketPath: manager.socketPath,
    follow: (listener) => manager.feed.on((t) => listener(controlTransition(t))),
    startedAt: Date.parse(status.manager.startedAt),
    until: manager.closed,
  });
  if (stopping()) return;
  ctx.print.startSummary({
    pid: process.pid,
    stateDir: manager.stateDir,
    configFile,
    gatewayUrl: manager.gatewayUrl,
    logFile: managerLogOf(manager.stateDir),
  });
}
