/**
 * `add`, `remove` and `catalog` against real files and a real running manager: the edit is
 * spliced in (every byte outside the entry kept), an invalid result is never written, and
 * the running manager starts or stops only the edited server.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { ECHO, runManager, tempDir, type Running } from '../supervisor/harness.js';
import { waitFor } from '../helpers/processes.js';
import { testContext } from './context.js';

let dir: string;
let cleanup: () => void;
let running: Running | undefined;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(async () => {
  await running?.manager.stop();
  running = undefined;
  cleanup();
});

const node = process.execPath;
const COMMENTED = `# My servers — hand-written, keep the comments!
manager:
  shutdown_timeout: 20s   # generous

servers:
  # the first one
  alpha:
    command: ${node}
    args: ["${ECHO}"]     # flow list, padded comment
    stop_grace: 0.2
    # trailing comment inside alpha

  # beta is quoted differently
  'beta':
    command: "${node}"
    args:
      - ${ECHO}
    stop_grace: 0.2
  # old: {command: gone}
# end of file
`;

function cli(argv: string[]) {
  const ctx = testContext(join(dir, 'state'));
  return runCli(argv, ctx).then((code) => ({ code, ctx }));
}

/** The text with the block of server `name` (its key line and deeper-indented lines) cut out. */
function withoutEntry(text: string, name: string): string {
  return text.replace(new RegExp(`^  ${name}:\\n(?:(?:    .*)?\\n)*?(?=  \\S|\\S|$)`, 'm'), (block) =>
    block.replace(/\n+$/, '\n').length === block.length ? '' : block.slice(block.replace(/\n+$/, '\n').length),
  );
}

describe('add and remove on a running manager', () => {
  it('adds and removes a server, keeping every other byte, without restarting the others', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, COMMENTED);
    running = await runManager(file, join(dir, 'state'));
    const alpha = await running.waitState('alpha', 'healthy');
    await running.waitState('beta', 'healthy');

    const added = await cli(['add', 'gamma', '--config', file, '--tag', 'new', '--', node, ECHO]);
    expect(added.ctx.stderr()).toBe('');
    expect(added.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`  gamma:\n    command: ${node}\n    args: [${ECHO}]\n    tags: [new]\n`);
    expect(withoutEntry(text, 'gamma')).toBe(COMMENTED);
    // placed after the last entry, before the trailing comments
    expect(text.indexOf('  gamma:')).toBeGreaterThan(text.indexOf("  'beta':"));
    expect(text.indexOf('  gamma:')).toBeLessThan(text.indexOf('  # old:'));
    expect(added.ctx.stdout()).toContain('the running manager reloaded: added gamma');

    await running.waitState('gamma', 'healthy');
    expect((await running.server('alpha')).pid).toBe(alpha.pid);
    expect((await running.server('alpha')).restarts).toBe(0);

    const removed = await cli(['remove', 'gamma', '--config', file, '--json']);
    expect(removed.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(COMMENTED);
    const report = JSON.parse(removed.ctx.stdout()) as {
      action: string;
      server: string;
      reload: { status: string; report: { removed: string[] } };
    };
    expect(report).toMatchObject({ action: 'removed', server: 'gamma', reload: { status: 'applied', report: { removed: ['gamma'] } } });
    await waitFor(async () => !(await running!.status()).servers.some((s) => s.name === 'gamma'), {
      timeoutMs: 15_000,
      what: 'gamma gone',
    });
    expect((await running.server('alpha')).pid).toBe(alpha.pid);
  });

  it('leaves the file untouched when the result would be invalid', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, COMMENTED);
    const before = statSync(file).mtimeMs;
    const bad = await cli(['add', 'remote', '--config', file, '--url', 'ftp://example.invalid/x']);
    expect(bad.code).toBe(1);
    expect(bad.ctx.stderr()).toContain('servers.remote');
    expect(readFileSync(file, 'utf8')).toBe(COMMENTED);
    expect(statSync(file).mtimeMs).toBe(before);

    const twice = await cli(['add', 'alpha', '--config', file, '--', node]);
    expect(twice.code).toBe(1);
    expect(twice.ctx.stderr()).toContain('already configured');
    const missing = await cli(['remove', 'nope', '--config', file]);
    expect(missing.code).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(COMMENTED);
  });

  it('moves a secret-looking --env value to the 0600 env file the config names', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, COMMENTED);
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    const added = await cli(['add', 'gh', '--config', file, '--env', `GITHUB_TOKEN=${token}`, '--env', 'MODE=fast', '--', node, ECHO]);
    expect(added.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).toContain('GITHUB_TOKEN: ${GITHUB_TOKEN}');
    expect(text).toContain('MODE: fast');
    expect(text).toContain('  env_file: config.env\n');
    const envFile = join(dir, 'config.env');
    expect(readFileSync(envFile, 'utf8')).toContain(`GITHUB_TOKEN=${token}\n`);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(added.ctx.stderr()).toContain('no manager is running');
  });

  it("keeps a JSON config's indentation", async () => {
    const file = join(dir, 'servers.json');
    const original = { mcpServers: { alpha: { command: node, args: [ECHO] } } };
    writeFileSync(file, `${JSON.stringify(original, null, 4)}\n`);
    expect((await cli(['add', 'beta', '--config', file, '--', node, ECHO])).code).toBe(0);
    const expected = { mcpServers: { ...original.mcpServers, beta: { command: node, args: [ECHO] } } };
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(expected, null, 4)}\n`);
  });
});

describe('catalog', () => {
  it('lists what an entry needs and adds it with its variables in the env file', async () => {
    const listed = await cli(['catalog', 'github', '--json']);
    expect(listed.code).toBe(0);
    const { entries } = JSON.parse(listed.ctx.stdout()) as { entries: { name: string; needs: { env: string[]; network: boolean } }[] };
    expect(entries.find((e) => e.name === 'github')?.needs).toMatchObject({ env: ['GITHUB_TOKEN'], network: true });
    const text = await cli(['catalog', 'github']);
    expect(text.ctx.stdout()).toContain('needs  env GITHUB_TOKEN; network');
    expect((await cli(['catalog', 'no-such-thing-at-all'])).code).toBe(1);

    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'servers:\n  # none yet\n');
    const refused = await cli(['add', 'gh', '--config', file, '--from-catalog', 'github']);
    expect(refused.code).toBe(1);
    expect(refused.ctx.stderr()).toContain('needs values (give each with --env NAME=VALUE, or set it in the environment) for GITHUB_TOKEN');
    expect(readFileSync(file, 'utf8')).toBe('servers:\n  # none yet\n');

    const ok = await cli(['add', 'gh', '--config', file, '--from-catalog', 'github', '--env', 'GITHUB_TOKEN=t0ken-value', '--disabled']);
    expect(ok.ctx.stderr()).toContain('no manager is running');
    expect(ok.code).toBe(0);
    const written = readFileSync(file, 'utf8');
    expect(written).toContain('GITHUB_PERSONAL_ACCESS_TOKEN: ${GITHUB_TOKEN}');
    expect(written).not.toContain('t0ken-value');
    expect(existsSync(join(dir, 'config.env'))).toBe(true);
    expect(readFileSync(join(dir, 'config.env'), 'utf8')).toContain('GITHUB_TOKEN=t0ken-value');
  });
});
