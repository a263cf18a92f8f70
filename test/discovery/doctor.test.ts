import path from 'node:path';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe as group, expect, it } from 'vitest';
import { runDoctor, type DoctorCheck, type DoctorReport } from '../../src/discovery/doctor.js';
import { FIXTURES, SERVERS, tempDir, writeFile } from './helpers.js';

const node = process.execPath;
const echo = path.join(SERVERS, 'echo.mjs');
const raw = path.join(FIXTURES, 'servers', 'raw-server.mjs');
const LONG_TOOL = `summarize_${'very_'.repeat(12)}long_document`;

const CONFIG = {
  mcpServers: {
    echo: { command: node, args: [echo] },
    'import-error': { command: node, args: [echo], env: { FIXTURE_EXIT_ON_START: '1' } },
    'fastmcp-broken': { command: node, args: [path.join(SERVERS, 'fastmcp-broken.mjs')] },
    'missing-command': { command: 'mcp-doctor-no-such-command', args: [] },
    garbage: { command: node, args: [echo], env: { FIXTURE_GARBAGE_STDOUT: '1' } },
    'future-protocol': { command: node, args: [raw], env: { FIXTURE_PROTOCOL_VERSION: '1999-01-01' } },
    'older-protocol': { command: node, args: [raw], env: { FIXTURE_PROTOCOL_VERSION: '2024-11-05' } },
    'bad-tools': {
      command: node,
      args: [raw],
      env: {
        FIXTURE_TOOLS: JSON.stringify([
          { name: 'fine', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } },
          { name: 'stringly', inputSchema: { type: 'string' } },
          { name: 'dangling', inputSchema: { type: 'object', properties: { a: { $ref: '#/definitions/missing' } } } },
          { name: LONG_TOOL, inputSchema: { type: 'object' } },
        ]),
      },
    },
    later: { command: node, args: [echo], enabled: false, env: { TOKEN: '${DOCTOR_UNSET_TOKEN}' } },
    remote: { url: 'http://127.0.0.1:9/mcp' },
  },
};

let cleanup: () => void = () => undefined;
let configFile = '';
let report: DoctorReport;

beforeAll(async () => {
  const t = tempDir('mcp-doctor-');
  cleanup = t.cleanup;
  configFile = writeFile(path.join(t.dir, '.mcp.json'), JSON.stringify(CONFIG, null, 2));
  report = await runDoctor({ configFile, env: { PATH: process.env.PATH ?? '' }, handshake: true, timeoutMs: 10_000 });
});
afterAll(() => cleanup());

function check(server: string | undefined, name: DoctorCheck['check']): DoctorCheck {
  const found = report.checks.find((c) => c.server === server && c.check === name);
  if (!found) throw new Error(`no ${name} check for ${server ?? 'the config'}; checks: ${JSON.stringify(report.checks, null, 2)}`);
  return found;
}

group('runDoctor against real fixture servers', () => {
  it('loads the config and is not ok while some server fails', () => {
    expect(check(undefined, 'config')).toMatchObject({ ok: true, detail: `${configFile}: 10 server(s), 9 enabled` });
    expect(report.ok).toBe(false);
  });

  it('a healthy server: command, handshake, protocol, stdout, schemas and public names', () => {
    expect(check('echo', 'command')).toEqual({ server: 'echo', check: 'command', ok: true, detail: `${node} → ${node}` });
    expect(check('echo', 'handshake')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^fixture-echo 1\.0\.0 initialized in \d+ ms; 10 tool\(s\)$/) as unknown,
    });
    expect(check('echo', 'protocol')).toEqual({
      server: 'echo',
      check: 'protocol',
      ok: true,
      detail: `protocol version ${LATEST_PROTOCOL_VERSION} (latest)`,
    });
    expect(check('echo', 'stdout')).toMatchObject({ ok: true });
    expect(check('echo', 'tool_schemas')).toMatchObject({ ok: true, detail: '10 tool schema(s) valid' });
    expect(check('echo', 'names')).toMatchObject({ ok: true, detail: expect.stringContaining('e.g. echo__') as unknown });
    expect(check('echo', 'names').fix).toBeUndefined();
  });

  it('an import error at start: the exit, the diagnosis and its fix', () => {
    const c = check('import-error', 'handshake');
    expect(c).toMatchObject({ ok: false, cause: 'missing_module' });
    expect(c.detail).toBe(
      'the server exited with code 1 before the handshake finished; Python module "fixture_missing_module" is not installed in the environment the server runs in',
    );
    expect(c.fix).toContain('pip install "fixture_missing_module"');
  });

  it('a FastMCP server broken by mcp 2.x: diagnosed as mcp_v2_import with the pin fix', () => {
    const c = check('fastmcp-broken', 'handshake');
    expect(c).toMatchObject({ ok: false, cause: 'mcp_v2_import' });
    expect(c.fix).toContain('"mcp<2"');
  });

  it('a command that is not on PATH: found without spawning, with the fix', () => {
    expect(check('missing-command', 'command')).toMatchObject({
      ok: false,
      cause: 'command_not_found',
      detail: 'command not found: "mcp-doctor-no-such-command"',
    });
    expect(report.checks.some((c) => c.server === 'missing-command' && c.check === 'handshake')).toBe(false);
  });

  it('a server that prints to stdout: the handshake works, the stdout check fails with the line', () => {
    expect(check('garbage', 'handshake').ok).toBe(true);
    const c = check('garbage', 'stdout');
    expect(c).toMatchObject({ ok: false, cause: 'non_json_stdout' });
    expect(c.detail).toContain('"this is not json"');
    expect(c.fix).toContain('stderr');
  });

  it('protocol versions: an unknown one fails the handshake; an older one works with a note', () => {
    expect(check('future-protocol', 'handshake')).toMatchObject({
      ok: false,
      cause: 'protocol_version',
      detail: expect.stringContaining('1999-01-01') as unknown,
    });
    expect(check('older-protocol', 'protocol')).toMatchObject({
      ok: true,
      detail: `protocol version 2024-11-05 (latest is ${LATEST_PROTOCOL_VERSION})`,
      fix: expect.any(String) as unknown,
    });
  });

  it('bad tool schemas are listed by tool; names over 64 characters are shown shortened', () => {
    const schemas = check('bad-tools', 'tool_schemas');
    expect(schemas.ok).toBe(false);
    expect(schemas.detail).toBe(
      'stringly: inputSchema: expected type "object", got "string"; dangling: inputSchema: does not compile: can\'t resolve reference #/definitions/missing from id #',
    );
    const names = check('bad-tools', 'names');
    expect(names.ok).toBe(true);
    expect(names.detail).toMatch(
      new RegExp(
        `^1 of 4 public tool name\\(s\\) differ from the tool name: ${LONG_TOOL} → bad-tools__summarize_very_[a-z_]+_[0-9a-f]{8} \\(shortened\\)$`,
      ),
    );
    expect(names.fix).toContain('shorter "prefix" for server "bad-tools"');
  });

  it('disabled and remote servers are not probed', () => {
    expect(check('later', 'enabled')).toMatchObject({
      ok: true,
      detail: 'disabled: not checked; needs DOCTOR_UNSET_TOKEN set before it can be enabled',
    });
    expect(check('remote', 'transport')).toMatchObject({ ok: true });
  });
});

group('runDoctor without handshakes, and with a broken config', () => {
  it('checks commands only', async () => {
    const r = await runDoctor({ configFile, env: { PATH: process.env.PATH ?? '' }, handshake: false });
    expect(r.checks.filter((c) => c.check === 'handshake')).toEqual([]);
    expect(r.checks.filter((c) => c.check === 'command' && !c.ok).map((c) => c.server)).toEqual(['missing-command']);
  });

  it('reports every config issue with its line and stops there', async () => {
    const t = tempDir('mcp-doctor-');
    try {
      const file = writeFile(
        path.join(t.dir, 'mcp-manager.yaml'),
        'servers:\n  a:\n    command: node\n    replicas: zero\n  b:\n    comand: x\n',
      );
      const r = await runDoctor({ configFile: file, env: {}, handshake: true });
      expect(r.ok).toBe(false);
      expect(r.checks).toHaveLength(1);
      expect(r.checks[0]).toMatchObject({ check: 'config', ok: false });
      expect(r.checks[0]!.detail.split('\n').slice(1)).toEqual([
        `  ${file}:4:15: servers.a.replicas: expected an integer from 1 to 32, got "zero"`,
        `  ${file}:5:3: servers.b: missing "command" (required for a stdio server)`,
        `  ${file}:6:5: servers.b: unknown key "comand" (did you mean "command"?)`,
      ]);
    } finally {
      t.cleanup();
    }
  });
});
