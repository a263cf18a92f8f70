import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults.js';
import { parseConfigText, readConfig } from '../../src/config/load.js';
import { loadConfig } from '../../src/config/read-isolated.js';
import type { ServerConfig } from '../../src/config/types.js';
import { specOf } from '../../src/supervisor/spec.js';
import { ConfigError, ManagerError, formatConfigIssue } from '../../src/errors.js';

const FILE = '/etc/mcp/config.yaml';

function load(text: string, env: NodeJS.ProcessEnv = {}, file = FILE) {
  const result = parseConfigText(text, file, { env });
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.issues.map(formatConfigIssue).join('\n')}`);
  return result.config;
}

/** Every issue as `line:column path: message`. */
function problems(text: string, env: NodeJS.ProcessEnv = {}, file = FILE): string[] {
  const result = parseConfigText(text, file, { env });
  if (result.ok) throw new Error('expected issues, the config loaded');
  for (const issue of result.issues) expect(issue.file).toBe(file);
  return result.issues.map((i) => `${i.line ?? '-'}:${i.column ?? '-'} ${i.path}: ${i.message}`);
}

const SEED = `servers:
  my-server:
    description: "Custom MCP server"
    command: "python3"
    args: ["-m", "my_server"]
    connection_type: "stdio"
    server_type: "python"
    enabled: true
    auto_restart: true
    health_check_interval: 30.0
    max_concurrent_requests: 10
    tags: ["production", "ai"]
`;

describe('the seed entry', () => {
  it('loads exactly as written, with every default filled in', () => {
    const config = load(SEED);
    const d = DEFAULTS.server;
    expect(config.file).toBe(FILE);
    expect(config.manager).toEqual({
      logLevel: 'info',
      shutdownTimeoutMs: 15_000,
      httpSessions: 1000,
      sessionIdleTimeoutMs: 1_800_000,
      metrics: true,
      logMaxSizeBytes: 10_000_000,
      logKeep: 5,
    });
    expect(config.servers).toEqual<ServerConfig[]>([
      {
        name: 'my-server',
        description: 'Custom MCP server',
        connectionType: 'stdio',
        serverType: 'python',
        command: 'python3',
        args: ['-m', 'my_server'],
        env: {},
        inheritEnv: true,
        cwd: '/etc/mcp',
        headers: {},
        enabled: true,
        restart: 'permanent',
        tags: ['production', 'ai'],
        replicas: 1,
        maxConcurrentRequests: 10,
        queueTimeoutMs: 30_000,
        maxQueuedRequests: 1024,
        loadBalancing: 'round_robin',
        sessionAffinity: false,
        retryTools: [],
        protocol: 'auto',
        clientCapabilities: { sampling: false, elicitation: false, roots: false },
        startupTimeoutMs: 30_000,
        healthCheckIntervalMs: 30_000,
        stopGraceMs: d.stopGraceMs,
        stopTimeoutMs: d.stopTimeoutMs,
        maxRestarts: 5,
        restartWindowMs: 60_000,
        healthDownAfter: 3,
        healthUpAfter: 2,
        criticalGraceMs: 30_000,
        drainTimeoutMs: 30_000,
        backoff: { initialMs: 1_000, multiplier: 2, maxMs: 30_000, jitter: 0.2, resetAfterMs: 60_000 },
      },
    ]);
  });
});

describe('server entries', () => {
  it('reads per-server health settings, leaving absent ones to the monitor defaults', () => {
    const [tuned, plain] = load(`servers:
  tuned:
    command: x
    health_check_timeout: "2s"
    health_check_slow: 0.25
    reachability_probe: false
    health_command: {command: /usr/bin/check, args: ["--quick"], timeout: 3}
  plain:
    command: x
`).servers;
    expect(tuned!.health).toEqual({
      pingTimeoutMs: 2_000,
      slowPingMs: 250,
      reachability: false,
      command: { command: '/usr/bin/check', args: ['--quick'], timeoutMs: 3_000 },
    });
    expect(plain!.health).toBeUndefined();
  });

  it('reads the hysteresis counts, the critical grace and the drain timeout into the chart spec', () => {
    const [tuned, plain] = load(`servers:
  tuned:
    command: x
    health_down_after: 1
    health_up_after: 4
    critical_grace: "2s"
    drain_timeout: 0.5
  plain:
    command: x
`).servers;
    expect(specOf(tuned!)).toMatchObject({ health: { downAfter: 1, upAfter: 4, criticalGraceMs: 2_000 }, drainTimeoutMs: 500 });
    const d = DEFAULTS.server;
    expect(specOf(plain!)).toMatchObject({
      health: { downAfter: d.healthDownAfter, upAfter: d.healthUpAfter, criticalGraceMs: d.criticalGraceMs },
      drainTimeoutMs: d.drainTimeoutMs,
    });
    expect(problems('servers:\n  s:\n    command: x\n    health_down_after: 0\n')).toEqual([
      '4:24 servers.s.health_down_after: expected an integer >= 1, got 0',
    ]);
  });

  it('converts every duration and size form', () => {
    const [server] = load(`servers:
  s:
    command: x
    startup_timeout: 0.5
    health_check_interval: "500ms"
    queue_timeout: "30s"
    restart_window: "5m"
    stop_grace: 0
    stop_timeout: "1h"
    max_memory: "300MB"
    backoff: {initial: 2, multiplier: 1.5, max: "1m", jitter: 0, reset_after: "2m"}
  t:
    command: x
    max_memory: "1GiB"
  u:
    command: x
    max_memory: 4096
`).servers;
    expect(server).toMatchObject({
      startupTimeoutMs: 500,
      healthCheckIntervalMs: 500,
      queueTimeoutMs: 30_000,
      restartWindowMs: 300_000,
      stopGraceMs: 0,
      stopTimeoutMs: 3_600_000,
      maxMemoryBytes: 300_000_000,
      backoff: { initialMs: 2_000, multiplier: 1.5, maxMs: 60_000, jitter: 0, resetAfterMs: 120_000 },
    });
    expect(
      load(`servers:\n  t: {command: x, max_memory: 1GiB}\n  u: {command: x, max_memory: 4096}\n`).servers.map((s) => s.maxMemoryBytes),
    ).toEqual([2 ** 30, 4096]);
  });

  it('derives connection type, server type, restart and cwd', () => {
    const servers = load(`servers:
  py: {command: uvx, args: [mcp-server-time]}
  js: {command: npx, args: [-y, pkg]}
  sh: {command: /bin/bash, args: [run.sh]}
  bin: {command: ./bin/server, cwd: ../srv, auto_restart: false}
  other: {command: mcp-thing, restart: transient, cwd: /abs}
  remote: {url: "https://example.com/mcp", headers: {Authorization: "Bearer x"}}
  ws: {connection_type: websocket, url: "ws://127.0.0.1:9/"}
`).servers;
    expect(servers.map((s) => [s.name, s.connectionType, s.serverType, s.restart, s.cwd])).toEqual([
      ['py', 'stdio', 'python', 'permanent', '/etc/mcp'],
      ['js', 'stdio', 'node', 'permanent', '/etc/mcp'],
      ['sh', 'stdio', 'shell', 'permanent', '/etc/mcp'],
      ['bin', 'stdio', 'binary', 'temporary', '/etc/srv'],
      ['other', 'stdio', 'unknown', 'transient', '/abs'],
      ['remote', 'http', 'remote', 'permanent', undefined],
      ['ws', 'websocket', 'remote', 'permanent', undefined],
    ]);
    expect(servers[5]).toMatchObject({ url: 'https://example.com/mcp', headers: { Authorization: 'Bearer x' } });
  });

  it('keeps file order, even for names that look like numbers', () => {
    const names = load(`servers:\n  zeta: {command: x}\n  "10": {command: x}\n  alpha: {command: x}\n  "2": {command: x}\n`).servers.map(
      (s) => s.name,
    );
    expect(names).toEqual(['zeta', '10', 'alpha', '2']);
  });

  it('accepts the remaining keys: prefix (also empty), replicas, balancing, cache, numeric strings, scalar args/env', () => {
    const [a, b] = load(`servers:
  a:
    command: x
    args: [--port, 8080, --verbose, true]
    env: {PORT: 8080, DEBUG: false}
    inherit_env: "false"
    prefix: ""
    replicas: "3"
    load_balancing: least_loaded
    session_affinity: true
    retry_tools: [search]
    max_cpu_percent: 150
    max_restarts: 0
    cache: {ttl: 10s, tools: [list_items]}
  b: {command: x, prefix: gh_1}
`).servers;
    expect(a).toMatchObject({
      args: ['--port', '8080', '--verbose', 'true'],
      env: { PORT: '8080', DEBUG: 'false' },
      inheritEnv: false,
      prefix: '',
      replicas: 3,
      loadBalancing: 'least_loaded',
      sessionAffinity: true,
      retryTools: ['search'],
      maxCpuPercent: 150,
      maxRestarts: 0,
      cache: { ttlMs: 10_000, tools: ['list_items'] },
    });
    expect(b?.prefix).toBe('gh_1');
  });

  it('treats an empty servers: as no servers', () => {
    expect(load('servers:\n  # all commented out\n').servers).toEqual([]);
  });
});

describe('manager section', () => {
  it('parses every key, resolving paths against the config directory', () => {
    const config = load(`manager:
  state_dir: ./state
  log_level: debug
  http: {host: 0.0.0.0, port: 3000}
  shutdown_timeout: 5s
  discovery: {paths: [., /opt/mcp]}
  log_max_size: 2MiB
  log_keep: 3
  metrics: false
`);
    expect(config.manager).toEqual({
      stateDir: '/etc/mcp/state',
      logLevel: 'debug',
      http: { host: '0.0.0.0', port: 3000 },
      shutdownTimeoutMs: 5_000,
      logMaxSizeBytes: 2 * 1024 * 1024,
      logKeep: 3,
      discovery: { paths: ['/etc/mcp', '/opt/mcp'] },
      httpSessions: 1000,
      sessionIdleTimeoutMs: 1_800_000,
      metrics: false,
    });
  });

  it('refuses a log_keep below 2 and a log_max_size that is not a size', () => {
    expect(() => load('manager:\n  log_keep: 1\n')).toThrow(/manager\.log_keep/);
    expect(() => load('manager:\n  log_max_size: lots\n')).toThrow(/manager\.log_max_size/);
  });

  it('accepts "host:port", ":port" and a bare port, and ~ in state_dir', () => {
    expect(load('manager: {http: "127.0.0.1:8080"}').manager.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(load('manager: {http: "[::1]:8080"}').manager.http).toEqual({ host: '::1', port: 8080 });
    expect(load('manager: {http: ":9000"}').manager.http).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(load('manager: {http: 9001}').manager.http).toEqual({ host: '127.0.0.1', port: 9001 });
    expect(load('manager: {state_dir: ~/mcp}').manager.stateDir).toBe(path.join(os.homedir(), 'mcp'));
  });

  it('coerces an interpolated port', () => {
    expect(load('manager:\n  http: {port: "${PORT:-8080}"}\n').manager.http?.port).toBe(8080);
    expect(load('manager:\n  http: {port: "${PORT:-8080}"}\n', { PORT: '9090' }).manager.http?.port).toBe(9090);
  });
});

describe('interpolation in files', () => {
  it('expands variables before validation, defaults included', () => {
    const [server] = load(
      `servers:
  s:
    command: "\${PYTHON:-python3}"
    env: {TOKEN: "\${TOKEN}", LEVEL: "\${LEVEL:-info}"}
    startup_timeout: "\${TIMEOUT:-10s}"
`,
      { TOKEN: 'abc' },
    ).servers;
    expect(server).toMatchObject({
      command: 'python3',
      env: { TOKEN: 'abc', LEVEL: 'info' },
      startupTimeoutMs: 10_000,
      serverType: 'python',
    });
  });

  it('reports an unset variable with file, path and the placeholder line:column', () => {
    expect(problems('servers:\n  gh:\n    command: npx\n    env:\n      GITHUB_TOKEN: "Bearer ${GITHUB_TOKEN}"\n')).toEqual([
      '5:29 servers.gh.env.GITHUB_TOKEN: variable GITHUB_TOKEN is not set (write ${GITHUB_TOKEN:-default} to give a default)',
    ]);
  });

  it('records unset variables of a disabled server instead of failing', () => {
    const result = parseConfigText('servers:\n  gh:\n    enabled: false\n    command: npx\n    env: {T: "${T}", U: "${U}${T}"}\n', FILE, {
      env: {},
    });
    expect(result.ok && result.config.servers[0]).toMatchObject({ enabled: false, unsetVariables: ['T', 'U'], env: { T: '${T}' } });
  });

  it('never shows the value of an interpolated string, only its template', () => {
    const lines = problems('servers:\n  s:\n    command: x\n    replicas: "${N}"\n', { N: 'secret-value' });
    expect(lines).toEqual(['4:15 servers.s.replicas: expected an integer from 1 to 32, got the value of "${N}"']);
  });

  it('does not echo env or header values', () => {
    const lines = problems('servers:\n  s:\n    url: https://x.test/mcp\n    headers: {Authorization: [hunter2]}\n');
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines).toEqual(['4:15 servers.s.headers.Authorization: expected a string, got a list']);
  });
});

describe('problems', () => {
  it('names path, expectation and what arrived, for wrong types and ranges', () => {
    expect(
      problems(`servers:
  github:
    command: 42
    args: "-m x"
    health_check_interval: -5
    startup_timeout: abc
    replicas: 0
    max_concurrent_requests: 2.5
    enabled: "yes"
    tags: [a, [b]]
    connection_type: stdoi
    load_balancing: random
    max_memory: lots
    backoff: {jitter: 1.5, multiplier: 0.5}
    prefix: "a b"
`),
    ).toEqual([
      '3:14 servers.github.command: expected a string, got 42',
      '4:11 servers.github.args: expected a list of strings, got "-m x"',
      '5:28 servers.github.health_check_interval: expected a positive duration, got -5',
      '6:22 servers.github.startup_timeout: expected a duration (seconds or "500ms"/"30s"/"5m"), got "abc"',
      '7:15 servers.github.replicas: expected an integer from 1 to 32, got 0',
      '8:30 servers.github.max_concurrent_requests: expected an integer >= 1, got 2.5',
      '9:14 servers.github.enabled: expected true or false, got "yes"',
      '10:15 servers.github.tags[1]: expected a string, got a list',
      '11:22 servers.github.connection_type: expected one of "stdio", "http", "sse", "websocket", "tcp", got "stdoi" (did you mean "stdio"?)',
      '12:21 servers.github.load_balancing: expected one of "round_robin", "least_loaded", got "random"',
      '13:17 servers.github.max_memory: expected a size (bytes or "512KB"/"300MB"/"1GiB"), got "lots"',
      '14:23 servers.github.backoff.jitter: expected a number from 0 to 1, got 1.5',
      '14:40 servers.github.backoff.multiplier: expected a number >= 1, got 0.5',
      '15:13 servers.github.prefix: expected letters, digits, "_" or "-" (or ""), got "a b"',
    ]);
  });

  it('reports every unknown key at once, at the key, with a suggestion', () => {
    expect(
      problems(`manager:
  log_levle: info
server: {}
servers:
  github:
    comand: npx
    healthCheckInterval: 5
    colour: blue
    backoff: {inital: 1}
`),
    ).toEqual([
      '2:3 manager: unknown key "log_levle" (did you mean "log_level"?)',
      '3:1 : unknown key "server" (did you mean "servers"?)',
      '5:3 servers.github: missing "command" (required for a stdio server)',
      '6:5 servers.github: unknown key "comand" (did you mean "command"?)',
      '7:5 servers.github: unknown key "healthCheckInterval" (did you mean "health_check_interval"?)',
      '8:5 servers.github: unknown key "colour"',
      '9:15 servers.github.backoff: unknown key "inital" (did you mean "initial"?)',
    ]);
  });

  it('checks combinations: command vs url, protocols, conflicts', () => {
    expect(
      problems(`servers:
  a: {connection_type: stdio, url: "http://x.test"}
  b: {connection_type: http}
  c: {connection_type: sse, url: "ws://x.test", command: x}
  d: {url: "not a url"}
  e: {command: x, auto_restart: false, restart: permanent}
  f: {command: x, backoff: {initial: 10, max: 5}}
  g: {command: x, headers: {X-A: b}}
  "bad name": {command: x}
`),
    ).toEqual([
      '2:3 servers.a: missing "command" (required for a stdio server)',
      '2:36 servers.a.url: not used by a stdio server (set connection_type to http, sse, websocket or tcp)',
      '3:3 servers.b: missing "url" (required for connection_type http)',
      '4:34 servers.c.url: expected a URL starting with http:// or https:// for connection_type sse, got "ws://x.test/"',
      '4:58 servers.c.command: not used by a remote server (connection_type sse); remote servers are not spawned',
      '5:12 servers.d.url: expected a URL (e.g. "https://example.com/mcp"), got "not a url"',
      '6:33 servers.e.auto_restart: auto_restart: false means restart: temporary, which conflicts with restart: permanent',
      '7:38 servers.f.backoff.initial: must not exceed backoff.max',
      '8:19 servers.g.headers: not used by a stdio server',
      '9:3 servers["bad name"]: expected a server name of 1-64 letters, digits, "_", "." or "-", got "bad name"',
    ]);
  });

  it('rejects out-of-range ports and unknown log levels', () => {
    expect(problems('manager:\n  http: {port: 70000}\n  log_level: verbose\n')).toEqual([
      '2:16 manager.http.port: expected an integer from 0 to 65535, got 70000',
      '3:14 manager.log_level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "verbose"',
    ]);
  });

  it('reports malformed YAML with line:column', () => {
    expect(problems('servers:\n  a: {command: x\n  b: 2\n')).toEqual([
      '3:3 : invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
    expect(problems('servers:\n  a: 1\n  a: 2\n')).toEqual(['3:3 : invalid YAML: Map keys must be unique']);
  });

  it('reports malformed JSON with line:column', () => {
    const file = '/etc/mcp/servers.json';
    expect(problems('{\n  "mcpServers": {\n    "a": {"command": "x"}\n    "b": {}\n  }\n}\n', {}, file)).toEqual([
      expect.stringMatching(/^4:5 : invalid JSON: \S/),
    ]);
    // the wording comes from the JS engine and varies between Node versions; the position does not
    const [truncated] = problems('{\n  "mcpServers": {\n', {}, file);
    expect(truncated).toMatch(/^3:1 : invalid JSON: \S/);
  });

  it('reports an empty file and a top level that is not a mapping', () => {
    expect(problems('')).toEqual(['-:- : the file is empty (expected a mapping with "servers")']);
    expect(problems('# nothing\n')).toEqual(['-:- : the file is empty (expected a mapping with "servers")']);
    expect(problems('- a\n- b\n')).toEqual(['1:1 : expected a mapping at the top level (e.g. "servers:"), got a list']);
    expect(problems('just text\n')).toEqual(['1:1 : expected a mapping at the top level (e.g. "servers:"), got string']);
  });

  it('reports a server that is not a mapping', () => {
    expect(problems('servers:\n  a:\n  b: [x]\n')).toEqual([
      '2:3 servers.a: expected a mapping of server settings, got null',
      '3:3 servers.b: expected a mapping of server settings, got a list',
    ]);
  });
});

describe('reading files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mcp-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('readConfig returns the config, resolving relative paths against the file', async () => {
    const file = path.join(dir, 'ok.yaml');
    await writeFile(file, SEED);
    const result = await readConfig(file, { env: {} });
    expect(result.ok && result.config.servers[0]?.cwd).toBe(dir);
  });

  it('readConfig reports a missing file as an issue', async () => {
    const file = path.join(dir, 'missing.yaml');
    expect(await readConfig(file)).toEqual({ ok: false, missing: true, issues: [{ file, path: '', message: 'file not found' }] });
  });

  it('loadConfig throws CONFIG_NOT_FOUND for a missing file', async () => {
    const error: unknown = await loadConfig(path.join(dir, 'missing.yaml')).catch((e: unknown) => e);
    expect(ManagerError.is(error) && error.code).toBe('CONFIG_NOT_FOUND');
  });

  it('loadConfig throws a ConfigError carrying every issue', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'servers:\n  a: {comand: x}\n  b: {command: x, replicas: 0}\n');
    const error: unknown = await loadConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((i) => [i.path, i.line, i.column])).toEqual([
      ['servers.a', 2, 3],
      ['servers.a', 2, 7],
      ['servers.b.replicas', 3, 29],
    ]);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).message).toContain(`${file}:2:7: servers.a: unknown key "comand" (did you mean "command"?)`);
  });

  it('loadConfig returns the Config and hands warnings to onWarning', async () => {
    const file = path.join(dir, 'claude.json');
    await writeFile(file, JSON.stringify({ globalShortcut: 'Ctrl+Space', mcpServers: { a: { command: 'x' } } }, null, 2));
    const warnings: string[] = [];
    const config = await loadConfig(file, { env: {}, onWarning: (w) => warnings.push(formatConfigIssue(w)) });
    expect(config.servers.map((s) => s.name)).toEqual(['a']);
    expect(warnings).toEqual([`${file}:2:3: ignored key "globalShortcut" (not part of the MCP server configuration)`]);
  });
});
