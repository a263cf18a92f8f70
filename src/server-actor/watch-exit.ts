/**
 * The `watchExit` actor, invoked while a server runs: reports the process's end
 * (`server.exited`) and catalog changes (`server.catalog`) to the chart.
 */
import { fromCallback } from 'xstate';
import type { ServerEvent } from '../../machines/events.js';
import type { InstanceRef } from '../../machines/server.machine.js';
import type { SessionRegistry } from './session.js';

export function createWatchExit(sessions: SessionRegistry) {
  return fromCallback<ServerEvent, InstanceRef>(({ input, sendBack }) => {
    const session = sessions.get(input.instance);
    if (!session) {
      sendBack({ type: 'server.exited', exitCode: null, signal: null, stderrTail: [], at: Date.now() });
      return undefined;
    }
    let active = true;
    session.onCatalog = (catalog) => {
      if (active) sendBack({ type: 'server.catalog', tools: catalog.tools.map((t) => t.name) });
    };
    void session.exited.then((exit) => {
      if (active)
        sendBack({ type: 'server.exited', exitCode: exit.exitCode, signal: exit.signal, stderrTail: exit.stderrTail, at: Date.now() });
    });
    return () => {
      active = false;
      if (session.onCatalog) delete session.onCatalog;
    };
  });
}
