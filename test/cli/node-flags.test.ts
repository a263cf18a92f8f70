/**
 * A manager runs with the manager's V8 flags (a small young generation) wherever the CLI
 * launches it or writes its command down: V8 takes the flag only on the command line.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANAGER_NODE_FLAGS, withManagerFlags } from '../../src/cli/heap.js';
import { readLockPid } from '../../src/state/lock.js';
import { isProcessAlive } from '../../src/transports/process-group.js';
import { shortTempDir } from '../control/helpers.js';
import { CLI } from '../supervisor/harness.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');

describe('withManagerFlags', () => {
  it('puts the flags in front of the arguments node was given', () => {
    expect(MANAGER_NODE_FLAGS).toContain('--max-semi-space-size=4');
    expect(withManagerFlags(['--enable-source-maps'])).toEqual([...MANAGER_NODE_FLAGS, '--enable-source-maps']);
  });

  it('leaves a flag the user set, on the command line or in NODE_OPTIONS', () => {
    expect(withManagerFlags(['--max-semi-space-size=8'])).toEqual(['--max-semi-space-size=8']);
    expect(withManagerFlags([], '--trace-warnings --max-semi-space-size=16')).toEqual([]);
  });

  it('npm start runs the manager with them', () => {
    const start = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    for (const flag of MANAGER_NODE_FLAGS) expect(start).toContain(`node ${flag} `);
  });
});

describe('the built CLI', () => {
  let dir: string;
  let cleanup: () => void;
  let daemonPid: number | null = null;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
    const { NODE_OPTIONS: _ignored, ...rest } = process.env;
    env = { ...rest, HOME: join(dir, 'home'), MCP_MANAGER_HOME: join(dir, 'state') };
  });
  afterEach(async () => {
    // a failed test must not leave a detached manager behind
    if (daemonPid !== null && (await isProcessAlive(daemonPid))) process.kill(daemonPid, 'SIGKILL');
    daemonPid = null;
    cleanup();
  });

  it('writes them into the service unit', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'servers: {}\n');
    const { stdout } = await run(process.execPath, [CLI, 'service', 'install', '--user', '--dry-run', '--config', config], { env });
    expect(stdout).toContain(`ExecStart=${process.execPath} ${MANAGER_NODE_FLAGS.join(' ')} ${CLI} start --config ${config}`);
  });

  it('starts a daemon with them on its command line', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'servers: {}\n');
    const stateDir = join(dir, 'state');
    await run(process.execPath, [CLI, 'start', '--daemon', '--config', config, '--state-dir', stateDir], { env });
    daemonPid = readLockPid(stateDir);
    expect(daemonPid).not.toBeNull();
    const argv = readFileSync(`/proc/${daemonPid}/cmdline`, 'utf8').split('\0');
    expect(argv.slice(1, 1 + MANAGER_NODE_FLAGS.length + 1)).toEqual([...MANAGER_NODE_FLAGS, CLI]);
    await run(process.execPath, [CLI, 'stop', '--state-dir', stateDir], { env });
    expect(await isProcessAlive(daemonPid!)).toBe(false);
  });
});
