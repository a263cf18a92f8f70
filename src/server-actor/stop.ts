/**
 * The `stop` actor, invoked by the `stopping` state: the full stop ladder on the
 * instance's process group (stdin close → SIGTERM → SIGKILL); resolves when nothing
 * of it is left.
 */
import { fromPromise } from 'xstate';
import type { InstanceRef } from '../../machines/server.machine.js';
import type { SessionRegistry } from './session.js';

export function createStop(sessions: SessionRegistry) {
  return fromPromise<void, InstanceRef>(async ({ input }) => {
    const session = sessions.get(input.instance);
    if (!session) return;
    try {
      await session.close();
    } finally {
      sessions.delete(session);
    }
  });
}
