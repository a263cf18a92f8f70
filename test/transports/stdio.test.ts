import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import { ManagerError, type ExitInfo } from '../../src/errors.js';
import type { StdioProcessTransport } from '../../src/transports/stdio.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { ECHO, FixtureRun, textOf } from './fixture-transport.js';

let run: FixtureRun;
let dir: string;

beforeEach(async () => {
  run = new FixtureRun();
  dir = await mkdtemp(join(tmpdir(), 'mcpm-stdio-'));
});

afterEach(async () => {
  run.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function spawnError(transport: StdioProcessTransport): Promise<ManagerError> {
  const error: unknown = await transport.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!ManagerError.is(error)) throw new Error(`expected a ManagerError, got ${String(error)}`);
  return error;
}

describe('StdioProcessTransport with the SDK client', () => {
  it('initializes, lists and calls tools', async () => {
    const transport = run.transport(ECHO);
    const client = await run.client(transport);
    expect(transport.pid).toBeGreaterThan(0);
    expect(transport.running).toBe(true);
    expect(client.getServerVersion()?.name).toBe('fixture-echo');

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'pid', 'sleep', 'env']));
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hello' } }))).toBe('hello');
    expect(textOf(await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } }))).toBe('42');
    expect(textOf(await client.callTool({ name: 'pid' }))).toBe(String(transport.pid));

    await client.close();
    expect(isAlive(transport.pid!)).toBe(false);
  });

  it('delivers messages split across chunks, skips blank lines and accepts CRLF', async () => {
    const script = `
      const one = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/one' });
      const two = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/two' });
      process.stdout.write(one.slice(0, 10));
      setTimeout(() => process.stdout.write(one.slice(10) + '\\r\\n\\n' + two + '\\n'), 100);`;
    const transport = run.transport('-e', {}, { args: ['-e', script] });
    const messages: JSONRPCMessage[] = [];
    const errors: Error[] = [];
    transport.onmessage = (m) => messages.push(m);
    transport.onerror = (e) => errors.push(e);
    await transport.start();
    const exit = await transport.exited;

    expect(exit.exitCode).toBe(0);
    expect(messages.map((m) => ('method' in m ? m.method : '?'))).toEqual(['notifications/one', 'notifications/two']);
    expect(errors).toEqual([]);
  });
});

describe('exit reporting', () => {
  it('reports the signal when the process is killed', async () => {
    const transport = run.transport(ECHO);
    const client = await run.client(transport);
    const seen: ExitInfo[] = [];
    let closes = 0;
    transport.onexit = (info) => seen.push(info);
    client.onclose = () => closes++;

    process.kill(transport.pid!, 'SIGKILL');
    const exit = await transport.exited;

    expect(exit).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(seen).toEqual([exit]);
    expect(closes).toBe(1);
    expect(transport.running).toBe(false);
    await expect(transport.send({ jsonrpc: '2.0', method: 'notifications/x' })).rejects.toMatchObject({ code: 'SERVER_UNAVAILABLE' });
  });

  it('kill() signals the group', async () => {
    const transport = run.transport(ECHO);
    await run.client(transport);
    expect(transport.kill('SIGTERM')).toBe(true);
    expect(await transport.exited).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
  });

  it('reports exit code, stderr tail and log file for a server that dies before initialize', async () => {
    const logFile = join(dir, 'logs', 'fixture.log');
    const transport = run.transport(ECHO, { FIXTURE_EXIT_ON_START: '3' }, { stderrLogFile: logFile });
    const client = run.client(transport);
    await expect(client).rejects.toThrow();

    const exit = await transport.exited;
    expect(exit.exitCode).toBe(3);
    expect(exit.signal).toBeNull();
    expect(exit.stderrTail).toContain("ImportError: No module named 'fixture_missing_module'");
    expect(transport.stderrTail()).toEqual(exit.stderrTail);

    const log = await readFile(logFile, 'utf8');
    expect(log).toMatch(/Z ImportError: No module named 'fixture_missing_module'\n/);
    expect(log).toMatch(/\[mcp-manager\] started pid \d+/);
    expect(log).toContain('[mcp-manager] server "fixture" exited with code 3');
  });

  it('reports a crash in the middle of a session', async () => {
    const transport = run.transport(ECHO, { FIXTURE_CRASH_ON_TOOL: '1' });
    const client = await run.client(transport);
    await expect(client.callTool({ name: 'crash' })).rejects.toThrow();
    const exit = await transport.exited;
    expect(exit.exitCode).toBe(2);
    expect(exit.stderrTail).toContain('fixture: crash tool called');
  });

  it('keeps only the last stderrTailLines lines', async () => {
    const transport = run.transport(ECHO, {}, { stderrTailLines: 3 });
    const client = await run.client(transport);
    await client.callTool({ name: 'stderr', arguments: { lines: ['a', 'b', 'c', 'd', 'e'] } });
    await waitFor(() => transport.stderrTail().includes('e'), { what: 'stderr line e' });
    expect(transport.stderrTail()).toEqual(['c', 'd', 'e']);
  });
});

describe('spawn failures', () => {
  it('names a command that does not exist', async () => {
    const transport = run.transport(ECHO, {}, { command: 'mcpm-no-such-command-xyz', serverName: 'ghost' });
    let closes = 0;
    transport.onclose = () => closes++;
    const error = await spawnError(transport);
    expect(error.code).toBe('SPAWN_FAILED');
    expect(error.message).toBe('command not found: "mcpm-no-such-command-xyz" (server "ghost")');
    expect(error.data).toMatchObject({ server: 'ghost', command: 'mcpm-no-such-command-xyz', errno: 'ENOENT' });
    expect(transport.pid).toBeNull();
    expect(closes).toBe(1);
    expect(await transport.exited).toEqual({ exitCode: null, signal: null, stderrTail: [] });
    await transport.close();
  });

  it('says when the command is not executable', async () => {
    const file = join(dir, 'not-executable.sh');
    await writeFile(file, '#!/bin/sh\necho hi\n');
    await chmod(file, 0o644);
    const error = await spawnError(run.transport(ECHO, {}, { command: file, args: [] }));
    expect(error.code).toBe('SPAWN_FAILED');
    expect(error.message).toBe(`command is not executable: "${file}" (server "fixture")`);
  });

  it('says when the working directory does not exist', async () => {
    const cwd = join(dir, 'missing');
    const error = await spawnError(run.transport(ECHO, {}, { cwd }));
    expect(error.code).toBe('SPAWN_FAILED');
    expect(error.message).toBe(`working directory does not exist: "${cwd}" (server "fixture")`);
  });

  it('rejects a second start', async () => {
    const transport = run.transport(ECHO);
    await run.client(transport);
    await expect(transport.start()).rejects.toThrow(/already started/);
  });
});

describe('bad stdout', () => {
  it('reports garbage lines and keeps serving', async () => {
    const transport = run.transport(ECHO, { FIXTURE_GARBAGE_STDOUT: '1' });
    const errors: Error[] = [];
    const client = new Client({ name: 't', version: '1' });
    client.onerror = (e) => errors.push(e);
    await client.connect(transport);
    run.tracker.trackGroup(transport.pid);

    await waitFor(() => errors.length >= 2, { what: 'two garbage errors' });
    expect(errors[0]!.message).toBe('server "fixture": stdout line is not JSON: "this is not json"');
    expect(errors[1]!.message).toBe(
      'server "fixture": stdout line is not a JSON-RPC message: "{\\"valid\\":\\"json\\",\\"but\\":\\"not json-rpc\\"}"',
    );

    expect(textOf(await client.callTool({ name: 'garbage' }))).toBe('after garbage');
    expect(errors.map((e) => e.message)).toContain('server "fixture": stdout line is not JSON: "garbage in the middle"');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'still fine' } }))).toBe('still fine');
    expect(transport.running).toBe(true);
  });

  it('discards an oversized line spanning many chunks and keeps serving', async () => {
    const transport = run.transport(ECHO, {}, { maxLineBytes: 100_000 });
    const errors: Error[] = [];
    const client = await run.client(transport);
    client.onerror = (e) => errors.push(e);

    const big = client.callTool({ name: 'echo', arguments: { text: 'x'.repeat(300_000) } }, { timeout: 1000 });
    await expect(big).rejects.toThrow(/timed out/i);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^server "fixture": stdout line longer than 100000 bytes discarded: "\{.*…"$/),
    ]);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'small' } }))).toBe('small');
  });

  it('truncates the preview of a long garbage line', async () => {
    const script = `process.stdout.write('z'.repeat(5000) + '\\n')`;
    const transport = run.transport('-e', {}, { args: ['-e', script] });
    const errors: Error[] = [];
    transport.onerror = (e) => errors.push(e);
    await transport.start();
    await transport.exited;
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe(`server "fixture": stdout line is not JSON: "${'z'.repeat(120)}…"`);
  });
});

describe('environment', () => {
  const parentVar = `MCPM_PARENT_ONLY_${process.pid}`;
  beforeEach(() => {
    process.env[parentVar] = 'leaked';
  });
  afterEach(() => {
    delete process.env[parentVar];
  });

  async function envOf(transport: StdioProcessTransport, name: string): Promise<string> {
    const client = await run.client(transport);
    const value = textOf(await client.callTool({ name: 'env', arguments: { name } }));
    await client.close();
    return value;
  }

  it('does not leak parent vars without inheritEnv, and passes configured ones', async () => {
    const transport = run.transport(ECHO, { FIXTURE_CONFIGURED: 'configured-value' });
    const client = await run.client(transport);
    expect(textOf(await client.callTool({ name: 'env', arguments: { name: parentVar } }))).toBe('<unset>');
    expect(textOf(await client.callTool({ name: 'env', arguments: { name: 'FIXTURE_CONFIGURED' } }))).toBe('configured-value');
    expect(textOf(await client.callTool({ name: 'env', arguments: { name: 'PATH' } }))).toBe(process.env.PATH);
  });

  it('passes parent vars with inheritEnv', async () => {
    expect(await envOf(run.transport(ECHO, {}, { inheritEnv: true }), parentVar)).toBe('leaked');
  });
});
