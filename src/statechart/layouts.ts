/**
 * Chart layouts computed once per machine in a worker thread and kept: the definition
 * does not change while the manager runs, and the manager's event loop never waits on ELK.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChartLayout } from './layout.js';
import type { MachineName } from './machines.js';

/** The compiled entry when built; from the TypeScript sources (tests) it is loaded through tsx. */
function startWorker(machine: MachineName): Worker {
  const workerData = { machine };
  const compiled = new URL('./layout-worker.js', import.meta.url);
  if (existsSync(compiled)) return new Worker(compiled, { workerData });
  const source = fileURLToPath(new URL('./layout-worker.ts', import.meta.url));
  const code = `import(${JSON.stringify(tsxApiUrl())}).then((tsx) => tsx.tsImport(${JSON.stringify(source)}, ${JSON.stringify(import.meta.url)}))`;
  // a clean worker: loader hooks inherited from a parent running under tsx would clash
  return new Worker(code, { eval: true, workerData, execArgv: [] });
}

/** tsx's ESM API, found through its package exports. */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const pkg = require(manifest) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(manifest), pkg.exports['./esm/api']!.import.default)).href;
}

export interface LayoutCache {
  layout(machine: MachineName): Promise<ChartLayout>;
}

export function createLayoutCache(): LayoutCache {
  const cache = new Map<MachineName, Promise<ChartLayout>>();
  return {
    layout(machine) {
      let pending = cache.get(machine);
      if (pending === undefined) {
        pending = layoutInWorker(machine);
        // a failed layout is tried again on the next request
        pending.catch(() => cache.delete(machine));
        cache.set(machine, pending);
      }
      return pending;
    },
  };
}

function layoutInWorker(machine: MachineName): Promise<ChartLayout> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(machine);
    let result: ChartLayout | undefined;
    worker.once('message', (message: ChartLayout) => (result = message));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`chart layout of ${machine} ended without a result (exit code ${code})`));
    });
  });
}
