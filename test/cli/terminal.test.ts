/**
 * What a user at a terminal sees, through a pseudo-terminal: colour on a TTY only (and
 * NO_COLOR / FORCE_COLOR), `start`'s progress and summary, and `status --watch` redrawing
 * on pushed events and quitting on `q`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runInTerminal, terminalEnv, type Terminal } from '../helpers/pty.js';
import { ECHO, echoServer, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';

const run = promisify(execFile);
const ESC = '\x1b[';

let dir: string;
let cleanup: () => void;
let running: Running | undefined;
let terminal: Terminal | undefined;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(async () => {
  terminal?.kill();
  terminal = undefined;
  await running?.manager.stop();
  running = undefined;
  cleanup();
});

async function startEcho(): Promise<{ stateDir: string; env: Record<string, string> }> {
  const stateDir = join(dir, 'state');
  running = await runManager(writeConfig(dir, echoServer('alpha')), stateDir);
  await running.waitState('alpha', 'healthy');
  return { stateDir, env: terminalEnv({ MCP_MANAGER_HOME: stateDir }) };
}

describe('colour', () => {
  it('colours states on a terminal, not with NO_COLOR, not in a pipe unless FORCE_COLOR', async () => {
    const { env } = await startEcho();

    terminal = runInTerminal(['status'], env);
    expect((await terminal.exited).exitCode).toBe(0);
    expect(terminal.output()).toContain(`${ESC}32mhealthy${ESC}39m`);

    terminal = runInTerminal(['status'], { ...env, NO_COLOR: '1' });
    expect((await terminal.exited).exitCode).toBe(0);
    expect(terminal.output()).toMatch(/alpha\s+healthy/);
    expect(terminal.output()).not.toContain(ESC);

    const piped = await run(process.execPath, [CLI, 'status'], { env });
    expect(piped.stdout).toMatch(/alpha\s+healthy/);
    expect(piped.stdout).not.toContain(ESC);

    const forced = await run(process.execPath, [CLI, 'status'], { env: { ...env, FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain(`${ESC}32mhealthy`);

    const json = runInTerminal(['status', '--json'], env);
    terminal = json;
    expect((await json.exited).exitCode).toBe(0);
    expect(json.output()).not.toContain(ESC);
  });
});

describe('start on a terminal', () => {
  it('shows the servers coming up, a failure with its fix, then the endpoint; JSON logs only in the log file', async () => {
    const stateDir = join(dir, 'state');
    const config = writeConfig(
      dir,
      echoServer('alpha') + echoServer('beta') + '  broken:\n    command: /nonexistent/mcp-server\n    max_restarts: 0\n',
    );
    terminal = runInTerminal(['start', '--config', config, '--http', '127.0.0.1:0', '--state-dir', stateDir], terminalEnv({}));
    const seen = await terminal.waitForOutput(/gateway\s+\S*http:\/\/127\.0\.0\.1:\d+\/mcp/);

    expect(seen).toContain('starting servers');
    expect(seen).toContain('2/3 ready');
    expect(seen).toMatch(/✓\S* alpha\s+\S*healthy/);
    expect(seen).toMatch(/✗\S* broken\s+\S*failed/);
    expect(seen).toContain('command not found');
    expect(seen).toContain('fix:');
    expect(seen).toContain('mcp-manager connect');
    expect(seen).not.toContain('"level":');
    const log = join(stateDir, 'logs', 'manager.log');
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, 'utf8')).toContain('"msg":"mcp-manager started"');

    terminal.write('\x03');
    expect((await terminal.exited).exitCode).toBe(0);
  });

  it('writes JSON log lines to stderr with --log-format json', async () => {
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, echoServer('alpha'));
    terminal = runInTerminal(['start', '--config', config, '--state-dir', stateDir, '--log-format', 'json'], terminalEnv({}));
    await terminal.waitForOutput('"msg":"mcp-manager started"');
    expect(terminal.output()).not.toContain('starting servers');
    terminal.write('\x03');
    expect((await terminal.exited).exitCode).toBe(0);
  });
});

// several CLI runs in a terminal each: slow on a busy machine
describe('progress of other long work on a terminal', { timeout: 90_000 }, () => {
  it('restart-server shows the server going down and back up', async () => {
    const { env } = await startEcho();
    terminal = runInTerminal(['restart-server', 'alpha'], env);
    expect((await terminal.exited).exitCode).toBe(0);
    const restart = terminal.output();
    expect(restart).toContain('restarting alpha');
    expect(restart).toContain('0/1 ready');
    expect(restart).toMatch(/1\/1 ready[^]*✓\S* alpha\s+\S*healthy\S*\s+\d/);
    expect(restart).toContain('restarted server "alpha"');
  });

  it('add shows the new server coming up; with --json in a pipe, remove shows nothing but the JSON', async () => {
    const { env } = await startEcho();
    terminal = runInTerminal(['add', 'beta', '--', process.execPath, ECHO], env);
    expect((await terminal.exited).exitCode).toBe(0);
    const add = terminal.output();
    expect(add).toContain('added server "beta"');
    expect(add).toContain('applying the new config');
    expect(add).toMatch(/✓\S* beta\s+\S*healthy/);
    // the same command in a pipe, or with --json, shows no progress
    const piped = await run(process.execPath, [CLI, 'remove', 'beta', '--json'], { env });
    expect(piped.stderr).toBe('');
    expect(JSON.parse(piped.stdout)).toMatchObject({ action: 'removed', server: 'beta' });
  });

  it('stop shows every server going down', async () => {
    const stateDir = join(dir, 'state');
    const config = writeConfig(dir, echoServer('alpha') + echoServer('beta'));
    const env = terminalEnv({ MCP_MANAGER_HOME: stateDir });
    await run(process.execPath, [CLI, 'start', '--daemon', '--config', config], { env });
    try {
      terminal = runInTerminal(['stop'], env);
      expect((await terminal.exited).exitCode).toBe(0);
    } finally {
      // a daemon left running would outlive the test
      await run(process.execPath, [CLI, 'stop'], { env }).catch(() => undefined);
    }
    const out = terminal.output();
    expect(out).toMatch(/stopping mcp-manager \(pid \d+\)\S*\s+0\/2 ready/);
    expect(out).toMatch(/-\S* alpha\s+\S*stopped/);
    expect(out).toMatch(/-\S* beta\s+\S*stopped/);
    expect(out).toContain('mcp-manager stopped');
  });
});

describe('status --watch', () => {
  it('redraws when a server is killed and quits on q, restoring the cursor', async () => {
    const { env } = await startEcho();
    const pid = (await running!.server('alpha')).pid!;
    terminal = runInTerminal(['status', '--watch'], env);
    await terminal.waitForOutput(new RegExp(`alpha\\s+\\S*healthy\\S*\\s+${pid}`));
    const before = terminal.output().length;

    process.kill(pid, 'SIGKILL');
    await terminal.waitForOutput('killed by SIGKILL', { from: before });
    // and back up, with a new pid and one restart counted
    await terminal.waitForOutput(/alpha\s+\S*healthy\S*\s+\d+\s+\S+\s+1\s/, { from: before });

    terminal.write('q');
    expect((await terminal.exited).exitCode).toBe(0);
    // the cursor, hidden while the table redraws, is shown again
    expect(terminal.output().lastIndexOf(`${ESC}?25h`)).toBeGreaterThan(terminal.output().lastIndexOf(`${ESC}?25l`));
  });
});
