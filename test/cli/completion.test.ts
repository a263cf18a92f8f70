/**
 * The bash completion script, sourced into a real bash and driven the way bash drives it
 * (COMP_WORDS, COMP_CWORD, the function, COMPREPLY), against a running manager: verbs,
 * flags, server names of the manager, catalog entries and client names.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogFileOf, readCatalog } from '../../src/config/server-catalog.js';
import { CLI, REPO, echoServer, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

const run = promisify(execFile);

let dir: string;
let cleanup: () => void;
let running: Running | undefined;
let bin: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  // `mcp-manager` on PATH, as an installed CLI is
  bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'mcp-manager'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(bin, 'mcp-manager'), 0o755);
  // the script as a user would save it (generated once: every node start counts on a busy machine)
  const { stdout } = await run(join(bin, 'mcp-manager'), ['completion', 'bash']);
  writeFileSync(join(dir, 'completion.bash'), stdout);
  running = await runManager(writeConfig(dir, echoServer('alpha') + echoServer('beta')), join(dir, 'state'));
  await running.waitState('alpha', 'healthy');
  return async () => {
    await running?.manager.stop();
    cleanup();
  };
  // a manager and a CLI run: slow on a busy machine
}, 120_000);

/** What bash offers for `words` with the cursor on the last one. */
async function complete(words: string[], env: Record<string, string> = { MCP_MANAGER_HOME: join(dir, 'state') }): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const script = `source '${join(dir, 'completion.bash')}' || exit 9
COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}
_mcp_manager
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await run('bash', ['-c', script], { env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir, ...env } });
  return stdout.split('\n').filter(Boolean).sort();
}

// each completion of names starts the CLI once; a busy machine makes that slow
describe('bash completion', { timeout: 120_000 }, () => {
  it('completes verbs and flags', async () => {
    expect(await complete(['mcp-manager', 'con'])).toEqual(['connect']);
    expect(await complete(['mcp-manager', 'dis'])).toEqual(['disconnect', 'discover']);
    expect(await complete(['mcp-manager', 'status', '--w'])).toEqual(['--watch']);
    expect(await complete(['mcp-manager', 'connect', '--m'])).toEqual(['--move']);
  });

  it('completes server names of the running manager', async () => {
    expect(await complete(['mcp-manager', 'restart-server', ''])).toEqual(['alpha', 'beta']);
    expect(await complete(['mcp-manager', 'logs', 'al'])).toEqual(['alpha']);
    expect(await complete(['mcp-manager', 'health', '--server', 'b'])).toEqual(['beta']);
    // only the first positional of call is a server
    expect(await complete(['mcp-manager', 'call', 'alpha', ''])).toEqual([]);
    // the manager named by --state-dir on the line
    expect(await complete(['mcp-manager', 'stop-server', '--state-dir', join(dir, 'state'), ''], {})).toEqual(['alpha', 'beta']);
  });

  it('offers no server names when no manager runs', async () => {
    expect(await complete(['mcp-manager', 'restart-server', ''], { MCP_MANAGER_HOME: join(dir, 'nothing-here') })).toEqual([]);
  });

  it('completes catalog entries, clients and shells', async () => {
    const entries = readCatalog(catalogFileOf(REPO))
      .map((e) => e.name)
      .sort();
    expect(entries.length).toBeGreaterThan(0);
    expect(await complete(['mcp-manager', 'add', 'x', '--from-catalog', ''])).toEqual(entries);
    expect(await complete(['mcp-manager', 'catalog', ''])).toEqual(entries);
    expect(await complete(['mcp-manager', 'connect', ''])).toEqual(['claude-code', 'claude-desktop', 'cursor', 'vscode']);
    expect(await complete(['mcp-manager', 'import', '--from', 'v'])).toEqual(['vscode']);
    expect(await complete(['mcp-manager', 'completion', 'z'])).toEqual(['zsh']);
  });
});
