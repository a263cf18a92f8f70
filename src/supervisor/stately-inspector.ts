/**
 * `start --inspect`: the running actors, shown live in Stately's inspector through
 * `@statelyai/inspect`'s WebSocket protocol. Off by default and loaded only when asked for.
 *
 * The transport is ours (the `ws` client): it reconnects with an unref'd timer, keeps a
 * bounded queue while disconnected and stops for good when the manager stops. What leaves
 * the process is sanitized: a server's launch config (command, env, headers) never does.
 */
import type { AnyEventObject, InspectionEvent, MachineContext } from 'xstate';
import WebSocket from 'ws';
import type { Logger } from '../logger.js';

export interface StatelyInspector {
  /** Pass as the root actor's `inspect` option. */
  inspect(event: InspectionEvent): void;
  stop(): void;
}

const MAX_QUEUED = 500;
const RECONNECT_MS = 2_000;

export async function connectStatelyInspector(url: string, logger: Logger): Promise<StatelyInspector> {
  const { createInspector } = await import('@statelyai/inspect');
  const log = logger.child({ component: 'stately-inspect' });
  let socket: WebSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let queue: string[] = [];

  const connect = () => {
    if (stopped) return;
    const ws = new WebSocket(url);
    socket = ws;
    ws.on('open', () => {
      log.info({ url }, 'connected to the Stately inspector');
      for (const text of queue) ws.send(text);
      queue = [];
    });
    ws.on('error', (error) => log.debug({ err: error.message, url }, 'Stately inspector connection problem'));
    ws.on('close', () => {
      if (socket === ws) socket = undefined;
      if (stopped) return;
      timer = setTimeout(connect, RECONNECT_MS);
      timer.unref();
    });
  };

  const inspector = createInspector(
    {
      start: connect,
      stop() {
        stopped = true;
        clearTimeout(timer);
        socket?.close();
        queue = [];
      },
      send(event) {
        let text: string;
        try {
          text = JSON.stringify(event);
        } catch (error) {
          log.debug({ err: String(error) }, 'inspection event not serializable; skipped');
          return;
        }
        if (socket?.readyState === WebSocket.OPEN) socket.send(text);
        else {
          queue.push(text);
          if (queue.length > MAX_QUEUED) queue.shift();
        }
      },
    },
    { sanitizeContext, sanitizeEvent, serializationDepthLimit: 8 },
  );
  inspector.start();
  log.info({ url }, 'sending the actors to the Stately inspector');
  return { inspect: (event) => inspector.inspect.next?.(event), stop: () => inspector.stop() };
}

/** A server actor's context carries its launch config: only the name and limits go out. */
export function sanitizeContext(context: MachineContext): MachineContext {
  const spec = (context as { spec?: Record<string, unknown> }).spec;
  const specs = (context as { specs?: Record<string, Record<string, unknown>> }).specs;
  const clean = { ...context };
  if (spec && typeof spec === 'object') clean.spec = withoutLaunch(spec);
  if (specs && typeof specs === 'object') {
    clean.specs = Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, withoutLaunch(s)]));
  }
  return clean;
}

export function sanitizeEvent(event: AnyEventObject): AnyEventObject {
  if (event.type === 'config.changed' && Array.isArray(event.servers)) {
    return { ...event, servers: (event.servers as Record<string, unknown>[]).map(withoutLaunch) };
  }
  const input = (event as { input?: { spec?: Record<string, unknown> } }).input;
  if (input?.spec) return { ...event, input: { ...input, spec: withoutLaunch(input.spec) } };
  return event;
}

function withoutLaunch(spec: Record<string, unknown>): Record<string, unknown> {
  if (!('launch' in spec)) return spec;
  const { launch: _launch, ...rest } = spec;
  return { ...rest, launch: '[redacted]' };
}
