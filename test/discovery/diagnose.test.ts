import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe as group, expect, it } from 'vitest';
import { diagnoseFailure, type FailureCause } from '../../src/discovery/diagnose.js';
import { FIXTURES } from './helpers.js';

const STDERR = path.join(FIXTURES, 'stderr');
const sample = (name: string) => readFileSync(path.join(STDERR, name), 'utf8').trimEnd().split('\n');

/** Each stderr sample and the cause it must be diagnosed as (exit code 1 unless said otherwise). */
const EXPECTED: Record<string, FailureCause> = {
  'mcp-v2-import.txt': 'mcp_v2_import',
  'fastmcp-constructor.txt': 'fastmcp_constructor',
  'fastmcp3-constructor.txt': 'fastmcp_constructor',
  'python-module-not-found.txt': 'missing_module',
  'python-import-name.txt': 'missing_module',
  'node-err-module-not-found.txt': 'missing_module',
  'node-cannot-find-module.txt': 'missing_module',
  'sh-command-not-found.txt': 'command_not_found',
  'env-no-such-file.txt': 'command_not_found',
  'npx-404.txt': 'command_not_found',
  'protocol-version.txt': 'protocol_version',
  'permission-denied.txt': 'permission_denied',
  'non-json-stdout.txt': 'non_json_stdout',
  'go-panic.txt': 'unknown',
};

group('diagnoseFailure on real-looking stderr', () => {
  it('has an expectation for every sample', () => {
    expect(readdirSync(STDERR).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, cause] of Object.entries(EXPECTED)) {
    it(`${file} → ${cause}`, () => {
      const diagnosis = diagnoseFailure({ exitCode: 1, signal: null, stderrTail: sample(file), command: 'server' });
      expect(diagnosis.cause).toBe(cause);
      expect(diagnosis.summary.length).toBeGreaterThan(10);
      expect(diagnosis.fix.length).toBeGreaterThan(10);
    });
  }
});

group('diagnoses say what to do', () => {
  it('mcp v2: pin mcp<2, or import from fastmcp / the new module', () => {
    const d = diagnoseFailure({ exitCode: 1, stderrTail: sample('mcp-v2-import.txt'), command: 'uv' });
    expect(d.summary).toContain('mcp.server.fastmcp');
    expect(d.fix).toContain('"mcp<2"');
    expect(d.fix).toContain('from fastmcp import FastMCP');
    expect(d.fix).toContain('from mcp.server.mcpserver import MCPServer');
  });

  it('a FastMCP constructor argument: names the argument, the package and the place in the server', () => {
    const v2 = diagnoseFailure({ exitCode: 1, stderrTail: sample('fastmcp-constructor.txt') });
    expect(v2.summary).toBe(
      'FastMCP(...) does not accept the argument "description" (/home/dana/.cache/uv/archive-v0/xI-CE3rJquDJslhX2U0Q1/lib/python3.12/site-packages/mac_messages_mcp/server.py:34) in the installed mcp version',
    );
    expect(v2.fix).toBe(
      'remove description= from the FastMCP(...) call (description: pass it as instructions="..."), or pin mcp to the version the server was written for',
    );
    const v3 = diagnoseFailure({ exitCode: 1, stderrTail: sample('fastmcp3-constructor.txt') });
    expect(v3.summary).toBe(
      'FastMCP(...) does not accept the arguments "description", "version" (/srv/themeparks/themeparks_mcp.py:6) in the installed fastmcp version',
    );
    expect(v3.fix).toContain('remove description=, version= from the FastMCP(...) call');
    expect(v3.fix).toContain('pin fastmcp');
  });

  it('missing modules: the module, and how to install it', () => {
    const py = diagnoseFailure({ exitCode: 1, stderrTail: sample('python-module-not-found.txt') });
    expect(py.summary).toBe('Python module "httpx" is not installed in the environment the server runs in');
    expect(py.fix).toContain('pip install "httpx"');
    expect(diagnoseFailure({ stderrTail: "ModuleNotFoundError: No module named 'yaml'" }).fix).toContain('pip install "pyyaml"');
    const esm = diagnoseFailure({ exitCode: 1, stderrTail: sample('node-err-module-not-found.txt') });
    expect(esm.summary).toBe('Node package "@modelcontextprotocol/sdk" is not installed for the server');
    expect(esm.fix).toContain('npm install');
    const cjs = diagnoseFailure({ exitCode: 1, stderrTail: sample('node-cannot-find-module.txt') });
    expect(cjs.summary).toBe("the server's file /home/dana/src/notes-mcp/dist/index.js does not exist");
    expect(cjs.fix).toContain('npm run build');
  });

  it('a failed spawn: command not found (with an install hint) or not executable', () => {
    const missing = diagnoseFailure({
      code: 'SPAWN_FAILED',
      errno: 'ENOENT',
      command: 'uvx',
      exitCode: null,
      signal: null,
      stderrTail: [],
    });
    expect(missing).toEqual({
      cause: 'command_not_found',
      summary: 'command not found: "uvx"',
      fix: 'install uv (it provides uv and uvx), or give its absolute path in "command"; servers are started without a shell, so shell aliases, functions and PATH changes made in shell startup files do not apply',
    });
    const denied = diagnoseFailure({ code: 'SPAWN_FAILED', errno: 'EACCES', command: './server.sh' });
    expect(denied).toMatchObject({ cause: 'permission_denied', fix: expect.stringContaining('chmod +x ./server.sh') as unknown });
    expect(diagnoseFailure({ exitCode: 127, stderrTail: [], command: 'x' }).cause).toBe('command_not_found');
    expect(diagnoseFailure({ exitCode: 126, stderrTail: [], command: 'x' }).cause).toBe('permission_denied');
  });

  it('protocol version: from the client error message too, with the versions we speak', () => {
    const d = diagnoseFailure({ message: "Server's protocol version is not supported: 1999-01-01", stderrTail: [] });
    expect(d.cause).toBe('protocol_version');
    expect(d.summary).toContain('1999-01-01');
    expect(d.fix).toContain('2025-06-18');
  });

  it('non-JSON stdout reported by the transport, with the offending line', () => {
    const d = diagnoseFailure({
      transportErrors: ['server "w": stdout line is not JSON: "Listening on stdio"'],
      code: 'INITIALIZE_TIMEOUT',
    });
    expect(d.cause).toBe('non_json_stdout');
    expect(d.summary).toContain('"Listening on stdio"');
    expect(d.fix).toContain('stderr');
  });

  it('unknown: the exit and the last stderr line, and how to see the rest', () => {
    const d = diagnoseFailure({ exitCode: 2, signal: null, stderrTail: sample('go-panic.txt'), command: './inventory', args: ['--stdio'] });
    expect(d).toEqual({
      cause: 'unknown',
      summary: 'the server exited with code 2: exit status 2',
      fix: 'run it by hand to see the whole output: ./inventory --stdio',
    });
    expect(diagnoseFailure({ signal: 'SIGKILL', stderrTail: '' }).summary).toBe('the server was killed by SIGKILL');
  });
});
