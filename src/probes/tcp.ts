/** TCP reachability: open a connection, close it at once. */
import { connect } from 'node:net';
import { failed, passed, type ProbeOutcome } from './outcome.js';
import { networkReason } from './reasons.js';
import type { TcpProbeTask } from './types.js';

export function probeTcp(task: TcpProbeTask, signal: AbortSignal): Promise<ProbeOutcome> {
  if (!Number.isInteger(task.port) || task.port < 1 || task.port > 65_535) {
    return Promise.resolve(failed(`invalid port ${String(task.port)}`));
  }
  const target = `${task.host}:${task.port}`;
  return new Promise<ProbeOutcome>((resolve) => {
    const socket = connect({ host: task.host, port: task.port });
    const onAbort = () => {
      socket.destroy();
      resolve(failed(`no connection to ${target} within ${task.timeoutMs} ms`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (outcome: ProbeOutcome) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    socket.once('connect', () => settle(passed(`connected to ${target}`)));
    socket.once('error', (error) => settle(failed(`${target}: ${networkReason(error)}`)));
    if (signal.aborted) onAbort();
  });
}
