/**
 * Progress of long work on a terminal: servers coming up after `start` (`3/5 ready`, each
 * line turning to its final state with its time, a failure with its one-line reason and the
 * fix), and the same for `restart-server`, `reload` and bulk operations. Follows the
 * manager's transitions (the in-process feed, or `GET /events` on the control socket).
 */
import { createControlClient } from '../control/client.js';
import { followEvents } from '../control/event-client.js';
import type { ControlTransition, ServerStatus } from '../control/types.js';
import type { CliContext } from './context.js';
import type { ProgressRow } from './print.js';

/** Final states: the server is up, or definitely down. */
export const SETTLED_STATES = new Set(['healthy', 'degraded', 'unhealthy', 'critical', 'stopped', 'failed']);

export type TransitionSource = (listener: (t: ControlTransition) => void) => () => void;

export interface ProgressOptions {
  /** Server names to follow, with their state now (from a status snapshot). */
  servers: readonly ServerStatus[];
  title: string;
  socketPath: string;
  /** Transitions; default the control event stream. */
  follow?: TransitionSource;
  /** Rows (all, or these names) final only after they have moved (a restart starts from a settled state). */
  needsChange?: boolean | ReadonlySet<string>;
  /** When the work began (ms since epoch); times are shown from here. */
  startedAt?: number;
  /** Stop showing when this settles (the manager is stopping). */
  until?: Promise<unknown>;
}

/**
 * Show rows until every server is settled, then leave the final frame. Resolves with the
 * rows as they ended. Without a terminal nothing is drawn and it resolves at once.
 */
export async function showProgress(ctx: CliContext, options: ProgressOptions, work?: () => Promise<unknown>): Promise<ProgressRow[]> {
  const startedAt = options.startedAt ?? Date.now();
  const rows = new Map<string, ProgressRow>();
  const mustMoveSet = new Set<string>();
  for (const s of options.servers) {
    const mustMove = options.needsChange === true || (options.needsChange instanceof Set && options.needsChange.has(s.name));
    if (mustMove) mustMoveSet.add(s.name);
    const settled = !mustMove && SETTLED_STATES.has(s.state);
    rows.set(s.name, {
      name: s.name,
      state: s.state,
      settledMs: settled ? Date.now() - startedAt : null,
      reason: null,
      fix: null,
      moved: false,
    });
  }
  const live = await ctx.print.live('err');
  const draw = () => live.update(ctx.print.progressFrame(options.title, [...rows.values()], Date.now() - startedAt));
  const allSettled = () => [...rows.values()].every((r) => r.settledMs !== null);

  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const onTransition = (t: ControlTransition) => {
    const row = rows.get(t.server);
    if (!row) return;
    row.state = t.to;
    row.moved = true;
    row.settledMs = SETTLED_STATES.has(t.to) ? t.at - startedAt : null;
    if (t.to === 'failed' || t.to === 'critical' || t.to === 'unhealthy') row.reason = t.reason;
    draw();
    if (allSettled()) finish();
  };

  let follower: { close(): void } | undefined;
  let unsubscribe: () => void;
  if (options.follow) {
    unsubscribe = options.follow(onTransition);
    // as below: what settled before the subscription (the terminal's live view loads first)
    await resync(options.socketPath, rows, mustMoveSet, startedAt);
  } else {
    let ready!: () => void;
    const subscribed = new Promise<void>((resolve) => (ready = resolve));
    const f = followEvents(
      options.socketPath,
      (event) => {
        if (event.type === 'ready') ready();
        else if (event.type === 'transition') onTransition(event.transition);
      },
      { statsMs: 0 },
    );
    follower = f;
    unsubscribe = () => f.close();
    await Promise.race([subscribed, f.done]);
    // a server may have settled between the snapshot and the subscription: take its state now
    await resync(options.socketPath, rows, mustMoveSet, startedAt);
  }
  const tick = setInterval(draw, 100);
  try {
    draw();
    if (allSettled()) finish();
    // with work to wait for (it returns once the servers settle), that is the end
    const end = work ? work().then(() => refresh(options.socketPath, rows, startedAt)) : finished;
    await Promise.race([end, ...(options.until ? [options.until] : [])]);
    await addFixes(options.socketPath, rows);
    draw();
    return [...rows.values()];
  } finally {
    clearInterval(tick);
    unsubscribe();
    follower?.close();
    live.done();
  }
}

/** Rows that need not move and have not moved yet: their state from a fresh snapshot. */
async function resync(socketPath: string, rows: Map<string, ProgressRow>, mustMove: ReadonlySet<string>, startedAt: number): Promise<void> {
  const status = await createControlClient(socketPath)
    .status()
    .catch(() => null);
  for (const server of status?.servers ?? []) {
    const row = rows.get(server.name);
    if (!row || row.moved || row.settledMs !== null || mustMove.has(row.name)) continue;
    row.state = server.state;
    if (SETTLED_STATES.has(server.state)) row.settledMs = Date.now() - startedAt;
  }
}

/** Final states from a status snapshot, for rows whose last move the stream did not show. */
async function refresh(socketPath: string, rows: Map<string, ProgressRow>, startedAt: number): Promise<void> {
  const status = await createControlClient(socketPath)
    .status()
    .catch(() => null);
  for (const server of status?.servers ?? []) {
    const row = rows.get(server.name);
    if (!row) continue;
    row.state = server.state;
    row.settledMs ??= Date.now() - startedAt;
  }
}

/** After a reload, on a terminal: the added and changed servers coming up (bounded to a minute). */
export async function followReload(ctx: CliContext, socketPath: string, report: { added: string[]; changed: string[] }): Promise<void> {
  const names = [...report.added, ...report.changed];
  if (!ctx.print.interactive || names.length === 0) return;
  const status = await createControlClient(socketPath).status();
  const servers = status.servers.filter((s) => names.includes(s.name));
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, 60_000)));
  try {
    // the supervisor begins a changed server's restart before the reload replies, so no row starts out settled by mistake
    await showProgress(ctx, { title: 'applying the new config', servers, socketPath, until: bound });
  } finally {
    clearTimeout(timer);
  }
}

/** Show progress while `work` runs, when stderr is a terminal; otherwise just run it. */
export async function withProgress<T>(
  ctx: CliContext,
  socketPath: string,
  names: readonly string[],
  title: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!ctx.print.interactive) return work();
  const status = await createControlClient(socketPath).status();
  const servers = status.servers.filter((s) => names.includes(s.name));
  if (servers.length === 0) return work();
  let value!: T;
  await showProgress(ctx, { title, servers, socketPath, needsChange: true }, async () => {
    value = await work();
  });
  return value;
}

/** For each failed row: the one-line reason and the fix, from the server's detailed status. */
async function addFixes(socketPath: string, rows: Map<string, ProgressRow>): Promise<void> {
  const failed = [...rows.values()].filter((r) => r.state === 'failed');
  if (failed.length === 0) return;
  // loaded only when something failed: it reads the SDK's supported versions
  const { diagnoseFailure } = await import('../discovery/diagnose.js');
  const status = await createControlClient(socketPath)
    .status({ detailed: true })
    .catch(() => null);
  for (const row of failed) {
    const server = status?.servers.find((s) => s.name === row.name);
    if (!server) continue;
    // the manager's own message may carry its diagnosis already: "<reason> — fix: <fix>"
    const error = (server.error ?? '').split('\n', 1)[0]!.replace(/^the server failed: /, '');
    const at = error.indexOf(' — fix: ');
    if (at > 0) {
      row.reason = error.slice(0, at);
      row.fix = error.slice(at + ' — fix: '.length);
      continue;
    }
    const code = /^([A-Z][A-Z0-9_]+):/.exec(error)?.[1];
    const diagnosis = diagnoseFailure({
      exitCode: server.lastExit?.exitCode ?? null,
      signal: server.lastExit?.signal ?? null,
      stderrTail: server.stderrTail ?? [],
      ...(server.command === undefined ? {} : { command: server.command }),
      ...(server.args === undefined ? {} : { args: server.args }),
      ...(server.error ? { message: server.error } : {}),
      ...(code === undefined ? {} : { code }),
    });
    row.reason = diagnosis.summary;
    row.fix = diagnosis.fix;
  }
}
