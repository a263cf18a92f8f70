/**
 * `status --watch`: a live table redrawn on events the manager pushes over the control
 * socket (`GET /events`), not by polling. On a terminal the table redraws in place and
 * `q` or Ctrl-C quits, restoring the terminal; elsewhere each transition is one line.
 */
import { createControlClient } from '../control/client.js';
import { followEvents } from '../control/event-client.js';
import type { ControlEvent } from '../control/types.js';
import type { CliContext } from './context.js';
import { applyEvent, applyStatus, createWatchModel } from './watch-model.js';

export interface WatchOptions {
  socketPath: string;
  /** How often the manager pushes CPU, memory and request figures. */
  statsMs?: number;
  /** Keys from the terminal; default process.stdin when it is a TTY. */
  input?: NodeJS.ReadStream;
}

export async function watchStatus(options: WatchOptions, ctx: CliContext): Promise<number> {
  const client = createControlClient(options.socketPath);
  const model = createWatchModel();
  const samples = new Map<string, { at: number; requests: number }>();
  const live = await ctx.print.live();
  const appended: string[] = [];
  let scheduled = false;
  const draw = () => {
    scheduled = false;
    live.update(ctx.print.watchFrame(model, Date.now()), appended.splice(0));
  };
  const redraw = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(draw);
  };

  let ready!: () => void;
  const subscribed = new Promise<void>((resolve) => (ready = resolve));
  const follower = followEvents(
    options.socketPath,
    (event: ControlEvent) => {
      if (event.type === 'ready') return ready();
      if (applyEvent(model, event, samples)) {
        if (event.type === 'transition') {
          const t = event.transition;
          appended.push(`${new Date(t.at).toISOString()} ${t.instance} ${t.from ?? 'new'} -> ${t.to}${t.reason ? ` (${t.reason})` : ''}`);
        }
        redraw();
      }
    },
    options.statsMs === undefined ? {} : { statsMs: options.statsMs },
  );

  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  const unsubscribe = ctx.onSignal(() => quit());
  const input = options.input ?? (process.stdin.isTTY ? process.stdin : undefined);
  const onKey = (data: Buffer | string) => {
    const text = data.toString();
    if (text.includes('q') || text.includes('Q') || text.includes('\u0003')) quit();
  };
  const wasRaw = input?.isRaw ?? false;
  if (input && live.redraws) {
    input.setRawMode?.(true);
    input.on('data', onKey);
    input.resume();
  }
  const tick = live.redraws ? setInterval(redraw, 1000) : undefined;

  try {
    await Promise.race([subscribed, follower.done]);
    applyStatus(model, await client.status({ detailed: true }), Date.now());
    draw();
    const ended = await Promise.race([follower.done.then(() => 'ended' as const), quitting.then(() => 'quit' as const)]);
    draw();
    if (ended === 'ended') ctx.print.notice('the manager stopped');
    return 0;
  } finally {
    clearInterval(tick);
    follower.close();
    unsubscribe();
    live.done();
    if (input && live.redraws) {
      input.off('data', onKey);
      input.setRawMode?.(wasRaw);
      input.pause();
    }
  }
}
