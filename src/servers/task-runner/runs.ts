import { TaskRunnerError } from './errors.js';

/**
 * The runs this server process has in flight: at most one per project (a run_task or a
 * run_all_tasks). `clean` and shutdown abort them through here and wait for them to settle.
 */
export interface ActiveRun {
  readonly projectDir: string;
  readonly controller: AbortController;
  /** The task being executed right now, once its process exists. */
  current: { task: string; pid: number } | null;
}

export interface RunRegistry {
  /** Claim the project for `work`; fails with PROJECT_BUSY if a run is already active there. */
  run<R>(projectDir: string, work: (run: ActiveRun) => Promise<R>): Promise<R>;
  get(projectDir: string): ActiveRun | undefined;
  /** Abort the run in `projectDir` (if any) and wait until it has settled. */
  stop(projectDir: string, reason: string): Promise<ActiveRun | undefined>;
  stopAll(reason: string): Promise<void>;
}

export function createRunRegistry(): RunRegistry {
  const active = new Map<string, { run: ActiveRun; done: Promise<unknown> }>();

  const stop = async (projectDir: string, reason: string): Promise<ActiveRun | undefined> => {
    const entry = active.get(projectDir);
    if (!entry) return undefined;
    entry.run.controller.abort(new Error(reason));
    await entry.done.catch(() => undefined);
    return entry.run;
  };

  return {
    run: (projectDir, work) => {
      const existing = active.get(projectDir);
      if (existing) {
        const what = existing.run.current ? `task ${existing.run.current.task} (pid ${existing.run.current.pid})` : 'a run';
        return Promise.reject(
          new TaskRunnerError('PROJECT_BUSY', `${what} is already running in ${projectDir}; wait for it or call clean`, {
            data: { base_dir: projectDir, running: existing.run.current },
          }),
        );
      }
      const run: ActiveRun = { projectDir, controller: new AbortController(), current: null };
      const done = work(run).finally(() => active.delete(projectDir));
      active.set(projectDir, { run, done });
      return done;
    },
    get: (projectDir) => active.get(projectDir)?.run,
    stop,
    stopAll: async (reason) => {
      await Promise.all([...active.keys()].map((dir) => stop(dir, reason)));
    },
  };
}
