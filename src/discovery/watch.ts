/**
 * Watch config files for changes (chokidar). The parent directories are watched, not the
 * files: editors that save atomically (write a temp file, rename it over the config) replace
 * the file's inode, which a watch on the file itself would lose. Events for one file are
 * debounced: a burst (temp write + rename, several quick edits) calls `onChange` once,
 * `debounceMs` after the last event. Deleting a watched file also reports a change (the
 * reload then reports the missing file); the watch goes on, and a file that comes back is
 * reported again. A symlinked config is watched at its target's directory too. The
 * directory of each file must exist when the watch starts (a missing one is reported through
 * `onError` and not watched). The set of files can be replaced while the watch runs (the
 * manager watches its env file beside the config, and the config may name another one).
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { watch } from 'chokidar';

export interface WatchOptions {
  /** Quiet time after the last event before `onChange`; default 200 ms. */
  debounceMs?: number;
  /** Watcher errors and exceptions thrown by `onChange`; default: ignored. */
  onError?: (error: Error) => void;
  /** Poll instead of native events (network file systems); default false. */
  usePolling?: boolean;
}

export interface ConfigWatcher {
  /** Resolves once the initial scan is done: changes after this are reported. */
  readonly ready: Promise<void>;
  /**
   * Watch these files from now on instead (the config named another env file). A no-op when
   * the set is the same; resolves once the new watch is ready.
   */
  setFiles(files: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_DEBOUNCE_MS = 200;

interface Watch {
  /** Watched path → the file as the caller named it. */
  targets: Map<string, string>;
  ready: Promise<void>;
  close(): Promise<void>;
}

export function watchConfig(files: readonly string[], onChange: (file: string) => void, options: WatchOptions = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const timers = new Map<string, NodeJS.Timeout>();
  let closed = false;

  const report = (error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error)));
  const fire = (file: string) => {
    timers.delete(file);
    if (closed) return;
    try {
      onChange(file);
    } catch (error) {
      report(error);
    }
  };

  const open = (list: readonly string[]): Watch => {
    const targets = new Map<string, string>();
    for (const file of list) {
      const absolute = path.resolve(file);
      targets.set(absolute, file);
      const real = realPathOf(absolute);
      if (real !== undefined && real !== absolute) targets.set(real, file);
    }
    const dirs = new Set([...targets.keys()].map((file) => path.dirname(file)));
    for (const dir of dirs) {
      if (existsSync(dir)) continue;
      dirs.delete(dir);
      report(new Error(`not watched: directory ${dir} does not exist`));
    }
    if (!dirs.size) return { targets, ready: Promise.resolve(), close: () => Promise.resolve() };
    const schedule = (changed: string) => {
      const file = targets.get(path.resolve(changed));
      if (file === undefined || closed) return;
      clearTimeout(timers.get(file));
      timers.set(file, setTimeout(fire, debounceMs, file));
    };
    const watcher = watch([...dirs], {
      ignoreInitial: true,
      depth: 0,
      usePolling: options.usePolling ?? false,
      // only the watched files (and the directories holding them) are watched
      ignored: (p: string) => {
        const absolute = path.resolve(p);
        return !dirs.has(absolute) && !targets.has(absolute);
      },
    });
    watcher.on('add', schedule).on('change', schedule).on('unlink', schedule);
    watcher.on('error', report);
    const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    return { targets, ready, close: () => watcher.close() };
  };

  const key = (list: readonly string[]) => [...new Set(list.map((f) => path.resolve(f)))].sort().join('\0');
  let currentKey = key(files);
  let current = open(files);

  return {
    ready: current.ready,
    async setFiles(next) {
      if (closed || key(next) === currentKey) return;
      const previous = current;
      currentKey = key(next);
      current = open(next);
      await previous.close();
      await current.ready;
    },
    async close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await current.close();
    },
  };
}

function realPathOf(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}
