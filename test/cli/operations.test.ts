import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import type { ControlHandlers } from '../../src/control/types.js';
import { silentLogger } from '../../src/logger.js';
import { CAPABILITIES, HEALTH, RELOAD_OK, RELOAD_REJECTED, fakeHandlers, fullHandlers, shortTempDir } from '../control/helpers.js';
import { testContext, type TestContext } from './context.js';

let stateDir: string;
let cleanup: () => void;
let server: ControlServer | undefined;

beforeEach(() => {
  ({ dir: stateDir, cleanup } = shortTempDir());
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  cleanup();
});

async function serve(handlers: ControlHandlers): Promise<void> {
  server = await startControlServer({ socketPath: join(stateDir, 'control.sock'), handlers, logger: silentLogger() });
}

async function run(argv: string[]): Promise<{ code: number; ctx: TestContext }> {
  const ctx = testContext(stateDir);
  const code = await runCli(argv, ctx);
  return { code, ctx };
}

describe('a manager without these operations', () => {
  it('makes each command exit 1 with "<operation> is not available in this manager"', async () => {
    const { handlers, calls } = fakeHandlers();
    await serve(handlers);
    for (const [argv, operation] of [
      [['capabilities'], 'capabilities'],
      [['call', 'echo', 'echo'], 'call'],
      [['health', '--json'], 'health'],
      [['reload'], 'reload'],
    ] as const) {
      const { code, ctx } = await run([...argv]);
      expect(code, argv.join(' ')).toBe(1);
      expect(ctx.stdout()).toBe('');
      expect(ctx.stderr()).toBe(`mcp-manager: ${operation} is not available in this manager\n`);
    }
    expect(calls).toEqual([]);
  });
});

describe('capabilities', () => {
  it('prints a block per server with tools as PUBLIC NAME TOOL RO', async () => {
    const { handlers, calls } = fullHandlers();
    await serve(handlers);
    const { code, ctx } = await run(['capabilities']);
    expect(code).toBe(0);
    expect(ctx.stdout()).toBe(
      [
        'echo',
        '  state        healthy',
        '  server info  echo-server 1.2.0',
        '  tools (3)',
        '    PUBLIC NAME        TOOL         RO',
        '    echo__echo         echo         yes',
        '    echo__add_numbers  add_numbers  no',
        '    -                  hidden       no',
        '  prompts (1)',
        '    PUBLIC NAME  PROMPT',
        '    echo__greet  greet',
        '  resources (1)',
        '    URI                    NAME',
        '    file:///tmp/notes.txt  notes',
        '  resource templates (1)',
        '    URI TEMPLATE        NAME',
        '    file:///tmp/{name}  tmp files',
        '',
        'broken',
        '  state        failed',
        '  server info  -',
        '  tools: none',
        '  prompts: none',
        '  resources: none',
        '  resource templates: none',
        '',
      ].join('\n'),
    );
    expect(ctx.stderr()).toBe('');
    expect(calls).toEqual(['capabilities *']);
  });

  it('--server narrows to one server; --json prints the snapshot as one document', async () => {
    const { handlers, calls } = fullHandlers();
    await serve(handlers);
    const one = await run(['capabilities', '--server', 'broken']);
    expect(one.code).toBe(0);
    expect(one.ctx.stdout()).toMatch(/^broken\n/);
    expect(one.ctx.stdout()).not.toContain('echo');
    const json = await run(['capabilities', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.ctx.stdout())).toEqual(CAPABILITIES);
    const both = await run(['capabilities', '--json', '-s', 'echo']);
    expect(JSON.parse(both.ctx.stdout())).toEqual({ servers: [CAPABILITIES.servers[0]] });
    expect(calls).toEqual(['capabilities broken', 'capabilities *', 'capabilities echo']);
  });

  it('exits 1 for an unknown server and 2 for a bad flag', async () => {
    await serve(fullHandlers().handlers);
    const unknown = await run(['capabilities', '--server', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.ctx.stderr()).toBe('mcp-manager: no server named "nope"\n');
    const bad = await run(['capabilities', '--server']);
    expect(bad.code).toBe(2);
    expect(bad.ctx.stderr()).toMatch(/^mcp-manager: capabilities: option '--server' needs a value\nusage: mcp-manager capabilities /);
  });
});

describe('call', () => {
  it('passes --args and prints the text content', async () => {
    const { handlers, calls } = fullHandlers();
    await serve(handlers);
    const { code, ctx } = await run(['call', 'echo', 'echo', '--args', '{"text": "hello\\nworld", "n": 2}']);
    expect(code).toBe(0);
    expect(ctx.stdout()).toBe('hello\nworld\n');
    expect(ctx.stderr()).toBe('');
    expect(calls).toEqual(['call echo echo {"text":"hello\\nworld","n":2}']);
  });

  it('notes non-text content by kind, type and size', async () => {
    await serve(fullHandlers().handlers);
    const { code, ctx } = await run(['call', 'echo', 'picture']);
    expect(code).toBe(0);
    expect(ctx.stdout()).toBe('a red dot\n[image image/png, 1234 bytes]\n');
  });

  it('--json prints the whole result', async () => {
    const { handlers, calls } = fullHandlers();
    await serve(handlers);
    const { code, ctx } = await run(['call', 'echo', 'echo', '--json', '-a', '{"text":"hi"}']);
    expect(code).toBe(0);
    expect(JSON.parse(ctx.stdout())).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    expect(calls).toEqual(['call echo echo {"text":"hi"}']);
  });

  it('exits 1 with the content on stderr when the tool reports isError, also with --json', async () => {
    await serve(fullHandlers().handlers);
    const human = await run(['call', 'echo', 'fail']);
    expect(human.code).toBe(1);
    expect(human.ctx.stdout()).toBe('');
    expect(human.ctx.stderr()).toBe('mcp-manager: tool "fail" of server "echo" returned an error:\ndivision by zero\n');
    const json = await run(['call', 'echo', 'fail', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.ctx.stdout())).toEqual({ content: [{ type: 'text', text: 'division by zero' }], isError: true });
  });

  it('exits 1 for an unknown tool or server', async () => {
    await serve(fullHandlers().handlers);
    const tool = await run(['call', 'echo', 'nope']);
    expect(tool.code).toBe(1);
    expect(tool.ctx.stderr()).toBe('mcp-manager: server "echo" has no tool "nope"\n');
    const server = await run(['call', 'ghost', 'echo']);
    expect(server.code).toBe(1);
    expect(server.ctx.stderr()).toBe('mcp-manager: no server named "ghost"\n');
  });

  it('exits 2 naming --args when it is not JSON or not an object, before calling anything', async () => {
    const { handlers, calls } = fullHandlers();
    await serve(handlers);
    const usage = 'usage: mcp-manager call SERVER TOOL [--args JSON] [--json] [--state-dir DIR]\n';
    const notJson = await run(['call', 'echo', 'echo', '--args', '{text: hi}']);
    expect(notJson.code).toBe(2);
    expect(notJson.ctx.stderr()).toMatch(/^mcp-manager: call: --args is not valid JSON: .*property name.*\n/);
    expect(notJson.ctx.stderr().endsWith(usage)).toBe(true);
    for (const [value, kind] of [
      ['[1, 2]', 'an array'],
      ['"text"', 'a string'],
      ['42', 'a number'],
      ['null', 'null'],
    ]) {
      const { code, ctx } = await run(['call', 'echo', 'echo', `--args=${value}`]);
      expect(code, value).toBe(2);
      expect(ctx.stderr()).toBe(`mcp-manager: call: --args must be a JSON object like '{"key": "value"}', got ${kind}\n${usage}`);
    }
    const missing = await run(['call', 'echo']);
    expect(missing.code).toBe(2);
    expect(missing.ctx.stderr()).toMatch(/^mcp-manager: call: missing TOOL\n/);
    expect(calls).toEqual([]);
  });
});

describe('health', () => {
  it('prints the table and a line per server that needs attention', async () => {
    const { handlers, calls } = fullHandlers();
    await serve(handlers);
    const { code, ctx } = await run(['health']);
    expect(code).toBe(0);
    expect(ctx.stdout()).toBe(
      [
        'NAME    STATE     LATENCY              CPU    MEMORY    RESTARTS  TREND',
        'echo    healthy   ewma 12ms p95 40ms   1.2%   50.0 MiB  0         ok',
        'leaky   degraded  ewma 850ms p95 2.5s  97.5%  1.5 GiB   2         memory,failures',
        'broken  failed    -                    -      -         5         -',
        '',
        'leaky: tools_list probe failed: timed out after 5s (at 2025-01-01T00:01:00.000Z); p95 latency above 2s; ' +
          'trend flagged: memory, failures (memory +5.0 MiB/min, failure rate 25%)',
        '',
      ].join('\n'),
    );
    expect(calls).toEqual(['health *']);
  });

  it('--server narrows to one server; --json prints the snapshot', async () => {
    const { handlers, calls } = fullHandlers();
    await serve(handlers);
    const one = await run(['health', '--server', 'echo']);
    expect(one.code).toBe(0);
    expect(one.ctx.stdout().trimEnd().split('\n')).toHaveLength(2); // header and echo, no notes
    const json = await run(['health', '--json']);
    expect(JSON.parse(json.ctx.stdout())).toEqual(HEALTH);
    const unknown = await run(['health', '--server', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.ctx.stderr()).toBe('mcp-manager: no server named "nope"\n');
    expect(calls).toEqual(['health echo', 'health *', 'health nope']);
  });
});

describe('reload', () => {
  it('prints what changed', async () => {
    const { handlers, calls } = fullHandlers();
    await serve(handlers);
    const { code, ctx } = await run(['reload']);
    expect(code).toBe(0);
    expect(ctx.stdout()).toBe('reloaded: +1 -1 ~1\n  + github\n  - old\n  ~ echo\n');
    expect(calls).toEqual(['reload']);
  });

  it('says so when nothing changed', async () => {
    await serve(fullHandlers({ reload: () => Promise.resolve({ ok: true, added: [], removed: [], changed: [] }) }).handlers);
    const { code, ctx } = await run(['reload']);
    expect(code).toBe(0);
    expect(ctx.stdout()).toBe('reloaded: +0 -0 ~0 (no changes)\n');
  });

  it('exits 1 with every issue when the manager rejects the new config', async () => {
    await serve(fullHandlers({ reload: () => Promise.resolve(RELOAD_REJECTED) }).handlers);
    const { code, ctx } = await run(['reload']);
    expect(code).toBe(1);
    expect(ctx.stdout()).toBe('');
    expect(ctx.stderr()).toBe(
      [
        '/etc/mcp/config.yaml:4:5: servers.echo: unknown key "comand"',
        '/etc/mcp/config.yaml:9:10: servers.web.url: expected a URL',
        'mcp-manager: reload rejected (2 problems); the last good config keeps running',
        '',
      ].join('\n'),
    );
  });

  it('takes no arguments', async () => {
    const { code, ctx } = await run(['reload', 'now']);
    expect(code).toBe(2);
    expect(ctx.stderr()).toBe("mcp-manager: reload: unexpected argument 'now'\nusage: mcp-manager reload [--state-dir DIR]\n");
  });

  it('finds the manager through --state-dir', async () => {
    await serve(fullHandlers({ reload: () => Promise.resolve(RELOAD_OK) }).handlers);
    const ctx = testContext('/nonexistent', { env: {} });
    expect(await runCli(['--state-dir', stateDir, 'reload'], ctx)).toBe(0);
    expect(ctx.stdout()).toMatch(/^reloaded: /);
  });
});

describe('help and completion', () => {
  it('list the new commands in order, after restart-server', async () => {
    const { ctx } = await run(['help']);
    const names = ctx
      .stdout()
      .split('\n')
      .map((line) => /^ {2}([a-z-]+) /.exec(line)?.[1])
      .filter((name) => name !== undefined);
    expect(names.slice(names.indexOf('restart-server'), names.indexOf('validate') + 1)).toEqual([
      'restart-server',
      'capabilities',
      'call',
      'health',
      'reload',
      'validate',
    ]);
    const callHelp = await run(['call', '--help']);
    expect(callHelp.ctx.stdout()).toMatch(/^usage: mcp-manager call SERVER TOOL \[--args JSON\] \[--json\]/);
    expect(callHelp.ctx.stdout()).toContain('-a, --args JSON');
  });

  it('completion offers the new commands and their flags', async () => {
    const { ctx } = await run(['completion', 'bash']);
    expect(ctx.stdout()).toContain('      call) words="--args -a --json --state-dir" ;;');
    expect(ctx.stdout()).toContain('      health) words="--server -s --json --state-dir" ;;');
    expect(ctx.stdout()).toMatch(/compgen -W "start stop status .*capabilities call health reload validate/);
  });
});
