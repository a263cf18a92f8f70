/**
 * The command table loads a command's module only when it runs: the built CLI, with a
 * module hook that records every module it loads, answers `--version`, `status` and
 * `stop` without the SDK, zod, xstate, yaml or log-update, which only `start` and the
 * config commands need.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS, HIDDEN_COMMANDS } from '../../src/cli/commands/index.js';
import { shortTempDir } from '../control/helpers.js';
import { CLI } from '../helpers/pty.js';

const run = promisify(execFile);

/** Packages the light commands must not load. */
const HEAVY = ['@modelcontextprotocol/', '/zod/', '/xstate/', '/yaml/', '/log-update/', '/plist/', '/pino/'];

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = shortTempDir());
});
afterEach(() => cleanup());

/** The URLs of every module `argv` loads in the built CLI (its exit code is not ours to judge). */
async function modulesLoadedBy(argv: string[]): Promise<string[]> {
  const list = join(dir, 'loaded.txt');
  writeFileSync(list, '');
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    [
      "import { appendFileSync } from 'node:fs';",
      'export async function load(url, context, next) {',
      `  appendFileSync(${JSON.stringify(list)}, url + '\\n');`,
      '  return next(url, context);',
      '}',
    ].join('\n'),
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  await run(process.execPath, ['--import', pathToFileURL(register).href, CLI, ...argv], { timeout: 30_000 }).catch(
    (error: { code?: unknown }) => {
      if (typeof error.code !== 'number') throw error;
    },
  );
  return readFileSync(list, 'utf8').split('\n').filter(Boolean);
}

describe('the command table', () => {
  it('loads each command under its own name', async () => {
    for (const entry of [...COMMANDS, ...HIDDEN_COMMANDS]) expect((await entry.load()).name).toBe(entry.name);
  });

  it('answers --version, status and stop without loading what start needs', async () => {
    const stateDir = join(dir, 'state');
    for (const argv of [['--version'], ['status', '--state-dir', stateDir], ['stop', '--state-dir', stateDir]]) {
      const loaded = await modulesLoadedBy(argv);
      // the hook saw the CLI's own modules (so an empty list cannot pass)
      expect(
        loaded.some((url) => url.endsWith('/cli/run.js')),
        argv.join(' '),
      ).toBe(true);
      expect(
        loaded.filter((url) => HEAVY.some((name) => url.includes(name))),
        argv.join(' '),
      ).toEqual([]);
    }
  });

  it('loads the SDK for start (the check above can fail)', async () => {
    const loaded = await modulesLoadedBy(['start', '--config', join(dir, 'missing.yaml'), '--state-dir', join(dir, 'state')]);
    expect(loaded.some((url) => url.includes('@modelcontextprotocol/'))).toBe(true);
  });
});
