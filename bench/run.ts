/**
 * Benchmark entry: `npm run bench [-- --only NAME] [--quick] [--sizes 10,50] [--reps N]`.
 * Runs every registered module in sequence and prints a summary. Missed aims are printed,
 * never turned into a failing exit code; only a broken benchmark exits non-zero.
 */
import { parseArgs } from 'node:util';
import { configParse } from './config-parse.js';
import { eras } from './eras.js';
import { gateway } from './gateway.js';
import { hostile } from './hostile.js';
import { probes } from './probes.js';
import { installInterruptCleanup } from './lib/proc.js';
import { formatSeconds } from './lib/stats.js';
import type { BenchModule, BenchOptions, BenchResult } from './lib/types.js';
import { scale } from './scale.js';
import { startup } from './startup.js';
import { ui } from './ui.js';

/** The registry: add a module here (gateway latency/throughput, probe rounds, …). */
const MODULES: readonly BenchModule[] = [startup, gateway, eras, probes, scale, ui, hostile, configParse];

const USAGE = `usage: node --import tsx bench/run.ts [--only NAME]… [--quick] [--sizes N,N,…] [--reps N]

  --only NAME    run only this module (repeatable, or comma-separated)
  --quick        reduced sizes and one repetition: a smoke run, not figures to quote
  --sizes N,…    override the problem sizes of modules that have them
  --reps N       override the repetitions per size
  --list         list the modules

modules:
${MODULES.map((m) => `  ${m.name.padEnd(12)} ${m.description}`).join('\n')}`;

function fail(message: string): never {
  console.error(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function positiveInts(flag: string, text: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) fail(`${flag} expects positive integers, got "${text}"`);
  return values;
}

function parse(argv: string[]): { modules: BenchModule[]; options: BenchOptions } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        only: { type: 'string', multiple: true },
        quick: { type: 'boolean' },
        sizes: { type: 'string' },
        reps: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.list) {
    for (const m of MODULES) console.log(`${m.name}\t${m.description}`);
    process.exit(0);
  }
  const names = (values.only ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) if (!MODULES.some((m) => m.name === name)) fail(`unknown module "${name}"`);
  const modules = names.length === 0 ? [...MODULES] : MODULES.filter((m) => names.includes(m.name));

  const options: BenchOptions = { quick: values.quick ?? false };
  if (values.sizes !== undefined) options.sizes = positiveInts('--sizes', values.sizes);
  if (values.reps !== undefined) options.reps = positiveInts('--reps', values.reps)[0]!;
  return { modules, options };
}

async function main(): Promise<number> {
  const { modules, options } = parse(process.argv.slice(2));
  installInterruptCleanup();
  const results: { module: BenchModule; result?: BenchResult; error?: unknown; ms: number }[] = [];

  for (const module of modules) {
    console.log(`\n=== ${module.name}${options.quick ? ' (quick)' : ''} ===`);
    const start = performance.now();
    try {
      const result = await module.run(options);
      results.push({ module, result, ms: performance.now() - start });
    } catch (error) {
      console.error(`bench ${module.name} failed:`, error);
      results.push({ module, error, ms: performance.now() - start });
    }
  }

  console.log('\n=== summary ===');
  for (const { module, result, error, ms } of results) {
    const aims = result?.aimsMet === undefined ? '' : result.aimsMet ? ', all aims met' : ', AIM(S) MISSED';
    console.log(`${module.name} (${formatSeconds(ms)}${error ? ', FAILED' : aims})`);
    if (error) console.log(`  ${error instanceof Error ? error.message.split('\n')[0] : JSON.stringify(error)}`);
    for (const line of result?.summary ?? []) console.log(`  ${line}`);
  }
  return results.some((r) => r.error !== undefined) ? 1 : 0;
}

process.exitCode = await main();
