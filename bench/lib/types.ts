/** The contract between `bench/run.ts` and each benchmark module. */

export interface BenchOptions {
  /** Reduced sizes and repetitions: a smoke run, not figures to quote. */
  quick: boolean;
  /** `--sizes 10,50`: override the module's problem sizes (modules that have sizes). */
  sizes?: number[];
  /** `--reps N`: override the module's repetitions per size. */
  reps?: number;
}

export interface BenchResult {
  /** Lines for the final summary (the module prints its own detailed tables as it goes). */
  summary: string[];
  /** false when at least one aim was missed; undefined when the module has no aims. Never fails the run. */
  aimsMet?: boolean;
}

export interface BenchModule {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<BenchResult>;
}
