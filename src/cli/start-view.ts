/** `start` in the foreground on a terminal: servers coming up, then where to connect. */
import { createControlClient } from '../control/client.js';
import { controlTransition } from '../supervisor/control-events.js';
import type { RunningManager } from '../supervisor/types.js';
import { managerLogOf } from '../state/paths.js';
import type { CliContext } from './context.js';
import { showProgress } from './start-progress.js';

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
