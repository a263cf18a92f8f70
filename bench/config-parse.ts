/**
 * How long reading and checking a config file takes, up to the size limit, in the worker
 * the manager uses (`readConfigIsolated`), and how much the main thread's event loop is
 * delayed meanwhile (the point of the worker: it should not be).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MAX_CONFIG_BYTES } from '../src/config/read-file.js';
import { readConfigIsolated } from '../src/config/read-isolated.js';
import type { BenchModule, BenchOptions, BenchResult } from './lib/types.js';

/** Files of about `bytes` bytes in shapes that stress different parts of the loader. */
function shapes(bytes: number): Record<string, string> {
  const fill = (head: string, line: (i: number) => string) => {
    const parts = [head];
    let size = head.length;
    for (let i = 0; size < bytes - 200; i++) {
      const next = line(i);
      parts.push(next);
      size += next.length;
    }
    return parts.join('');
  };
  return {
    'one server, many env keys': fill('servers:\n  a:\n    command: node\n    env:\n', (i) => `      K${i}: "v${i}"\n`),
    'many servers': fill('servers:\n', (i) => `  s${i}:\n    command: node\n`),
    'many unknown keys': fill('servers:\n  a:\n    command: node\n', (i) => `    k${i}: 1\n`),
  };
}

export const configParse: BenchModule = {
  name: 'config',
  description: 'read + check a config file in the parsing worker, up to the size limit; main-thread loop delay meanwhile',
  async run(options: BenchOptions): Promise<BenchResult> {
    const sizes = options.sizes ?? (options.quick ? [64 * 1024] : [64 * 1024, 1024 * 1024, MAX_CONFIG_BYTES - 1024]);
    const dir = mkdtempSync(join(tmpdir(), 'mm-bench-config-'));
    const summary: string[] = [];
    try {
      for (const bytes of sizes) {
        for (const [shape, text] of Object.entries(shapes(bytes))) {
          const file = join(dir, 'config.yaml');
          writeFileSync(file, text);
          const loop = monitorEventLoopDelay({ resolution: 10 });
          loop.enable();
          const started = performance.now();
          const result = await readConfigIsolated(file, { env: {} });
          const ms = performance.now() - started;
          loop.disable();
          const line = `${(bytes / 1024).toFixed(0)} KiB, ${shape}: ${ms.toFixed(0)} ms (${result.ok ? 'valid' : 'refused'}), main loop delay max ${(loop.max / 1e6).toFixed(1)} ms`;
          console.log(line);
          summary.push(line);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return { summary };
  },
};
