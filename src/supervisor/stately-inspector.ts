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

/** Server specs (in contexts, inputs and config events) carry their launch config: it never goes out. */
export function sanitizeContext(context: MachineContext): MachineContext {
  return withoutLaunch(context) as MachineContext;
}

export function sanitizeEvent(event: AnyEventObject): AnyEventObject {
  return withoutLaunch(event) as AnyEventObject;
}

/** A copy of plain data with every `launch` field replaced; class instances (actor refs) pass as they are. */
function withoutLaunch(value: unknown, depth = 0): unknown {
  if (depth > 10 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => withoutLaunch(item, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = key === 'launch' ? '[redacted]' : withoutLaunch(inner, depth + 1);
  return out;
}
