import { describe, expect, it } from 'vitest';
import {
  createPrinter,
  formatBytes,
  formatCapabilities,
  formatDuration,
  formatError,
  formatHealth,
  formatMs,
  formatReload,
  formatServerList,
  formatStatus,
  formatTable,
  formatToolResult,
} from '../../src/cli/print.js';
import { ConfigError, ManagerError } from '../../src/errors.js';
import { SERVERS, snapshot } from '../control/helpers.js';
import type { InstanceHealth } from '../../src/health/types.js';
import { healthEntry } from '../../src/supervisor/health-view.js';

describe('formatTable', () => {
  it('pads every column but the last, two spaces apart, without trailing blanks', () => {
    expect(
      formatTable([
        ['NAME', 'STATE', 'X'],
        ['filesystem', 'ok', ''],
        ['a', 'healthy', 'last'],
      ]),
    ).toBe(['NAME        STATE    X', 'filesystem  ok', 'a           healthy  last'].join('\n'));
  });
});

describe('formatDuration', () => {
  it('uses the two largest units', () => {
    expect(formatDuration(999)).toBe('0s');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(192_000)).toBe('3m 12s');
    expect(formatDuration(7_380_000)).toBe('2h 3m');
    expect(formatDuration(93_600_000)).toBe('1d 2h');
  });
});

describe('formatStatus', () => {
  it('prints the manager, an aligned table, and the error beneath a failed server', () => {
    expect(formatStatus(snapshot(true), { detailed: false })).toBe(
      [
        'mcp-manager 0.1.0 (pid 1234), up 1h 2m',
        '  config  /etc/mcp/config.yaml',
        '  state   /state',
        '',
        'NAME    STATE    PID   RESTARTS  TRANSPORT  UPTIME  TOOLS',
        'echo    healthy  4242  0         stdio      1m 5s   2',
        'broken  failed   -     5         stdio      -       0',
        '  error: server "broken" exited with code 1',
      ].join('\n'),
    );
  });

  it('shows dashes where the snapshot is not detailed, and per-server blocks when detailed', () => {
    expect(formatStatus(snapshot(false), { detailed: false }).split('\n')[5]).toBe('echo    healthy  4242  0         stdio      -       -');
    const detailed = formatStatus(snapshot(true), { detailed: true });
    expect(detailed).toContain(['echo', '  state  healthy', '  tags   test', '  tools  echo, add'].join('\n'));
    expect(detailed).toContain(['  error:', '    server "broken" exited with code 1', '      stderr (last lines):'].join('\n'));
  });

  it("does not repeat an exit error's stderr lines when the tail is shown on its own", () => {
    const [, broken] = SERVERS;
    const server = { ...broken!, stderrTail: ['ImportError: no module named x'], lastExit: { exitCode: 1, signal: null, at: '' } };
    const text = formatStatus({ ...snapshot(false), servers: [server] }, { detailed: true });
    expect(text).toContain(
      [
        '  last exit  code 1',
        '  error:',
        '    server "broken" exited with code 1',
        '  stderr (last lines):',
        '    ImportError: no module named x',
      ].join('\n'),
    );
    expect(text.match(/ImportError/g)).toHaveLength(1);
  });

  it('lists replica instances under their server', () => {
    const [first] = SERVERS;
    const withReplicas = {
      ...snapshot(false),
      servers: [
        {
          ...first!,
          instances: [
            { name: 'echo#1', state: 'healthy' as const, pid: 11, restarts: 0, transport: 'stdio' as const },
            { name: 'echo#2', state: 'starting' as const, pid: 12, restarts: 1, transport: 'stdio' as const },
          ],
        },
      ],
    };
    const lines = formatStatus(withReplicas, { detailed: false }).split('\n');
    expect(lines.slice(5)).toEqual([
      'echo      healthy   4242  0         stdio      -       -',
      '  echo#1  healthy   11    0         stdio      -       -',
      '  echo#2  starting  12    1         stdio      -       -',
    ]);
  });

  it('says so when there are no servers', () => {
    expect(formatStatus({ ...snapshot(false), servers: [] }, { detailed: false })).toMatch(/\n\nno servers configured$/);
  });
});

describe('formatServerList and formatError', () => {
  it('lists servers', () => {
    expect(formatServerList(SERVERS)).toBe(
      [
        'NAME    STATE    TRANSPORT  ENABLED  TAGS  DESCRIPTION',
        'echo    healthy  stdio      yes      test',
        'broken  failed   stdio      yes      -',
      ].join('\n'),
    );
  });

  it('prefixes messages and marks unexpected errors as internal', () => {
    expect(formatError(new ManagerError('MANAGER_NOT_RUNNING', 'no mcp-manager is running'))).toBe(
      'mcp-manager: no mcp-manager is running',
    );
    expect(formatError(new ConfigError([{ file: 'c.yaml', path: 'servers.a', line: 3, column: 5, message: 'bad' }]))).toBe(
      'mcp-manager: invalid config (1 problem):\n  c.yaml:3:5: servers.a: bad',
    );
    expect(formatError(new TypeError('x is undefined'))).toBe('mcp-manager: internal error: x is undefined');
  });
});

describe('formatMs and formatBytes', () => {
  it('keep a few significant digits', () => {
    expect(formatMs(0.84)).toBe('0.8ms');
    expect(formatMs(9.96)).toBe('10ms');
    expect(formatMs(12.4)).toBe('12ms');
    expect(formatMs(999.4)).toBe('999ms');
    expect(formatMs(1250)).toBe('1.25s');
    expect(formatMs(60_000)).toBe('60s');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(123.4 * 1024 * 1024)).toBe('123.4 MiB');
    expect(formatBytes(-2 * 1024 ** 3)).toBe('-2.0 GiB');
  });
});

describe('formatToolResult', () => {
  it('prints text as is and notes every other kind of content', () => {
    const png = Buffer.alloc(10).toString('base64');
    const result = {
      content: [
        { type: 'text', text: 'line 1\nline 2\n' },
        { type: 'image', mimeType: 'image/png', data: png },
        { type: 'audio', mimeType: 'audio/wav', data: Buffer.alloc(3).toString('base64') },
        { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: 'contents' } },
        { type: 'resource', resource: { uri: 'file:///b.bin', blob: Buffer.alloc(5).toString('base64') } },
        { type: 'resource_link', uri: 'file:///c', name: 'c' },
        { type: 'hologram' },
        'junk',
      ],
    };
    expect(formatToolResult(result)).toEqual([
      'line 1\nline 2',
      '[image image/png, 10 bytes]',
      '[audio audio/wav, 3 bytes]',
      '[resource file:///a.txt text/plain]\ncontents',
      '[resource file:///b.bin, 5 bytes]',
      '[resource link file:///c (c)]',
      '[hologram content]',
      '[malformed content item]',
    ]);
  });

  it('falls back to structuredContent when there is no content', () => {
    expect(formatToolResult({ content: [], structuredContent: { sum: 3 } })).toEqual(['{\n  "sum": 3\n}']);
    expect(formatToolResult({ content: [] })).toEqual([]);
    expect(formatToolResult({})).toEqual([]);
  });

  it('the printer says so on stderr when there is nothing to print', () => {
    const out: string[] = [];
    const err: string[] = [];
    const printer = createPrinter({ stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } });
    printer.toolResult({ content: [] }, { server: 's', tool: 't' });
    expect(out).toEqual([]);
    expect(err).toEqual(['(the tool returned no content)\n']);
  });
});

describe('formatHealth', () => {
  it('prints dashes for what the monitor does not report and notes only what needs attention', () => {
    const text = formatHealth({
      servers: [
        { name: 'bare', state: 'starting', restarts: 0 },
        { name: 'plain', state: 'degraded', restarts: 1, latencyMs: 3.21, lastProbe: { kind: 'ping', ok: false, at: 0 } },
        { name: 'odd', state: 'healthy', restarts: 0, latencyMs: { last: 1500 }, reasons: ['slow', 7], trend: { flagged: [] } },
      ],
    });
    expect(text).toBe(
      [
        'NAME   STATE     LATENCY    CPU  MEMORY  RESTARTS  TREND',
        'bare   starting  -          -    -       0         -',
        'plain  degraded  3.2ms      -    -       1         -',
        'odd    healthy   last 1.5s  -    -       0         ok',
        '',
        'plain: ping probe failed (at 1970-01-01T00:00:00.000Z)',
        'odd: slow',
      ].join('\n'),
    );
    expect(formatHealth({ servers: [] })).toBe('no servers configured');
  });

  it('shows the latency the monitor measures (ewma, else last; p95) in a health entry as the manager builds it', () => {
    const measured: InstanceHealth = {
      name: 'a',
      instance: 'a',
      pid: 7,
      latencyMs: { last: 9, ewma: 7, p95: 20 },
      cpuPercent: 2.5,
      memoryBytes: 4 * 1024 * 1024,
      processes: 1,
      limits: { maxMemoryBytes: null, maxCpuPercent: null },
      trend: { memoryGrowthBytesPerMin: null, failureRate: 0, samples: 3, flagged: [] },
      lastProbe: null,
      probes: [],
      reasons: [],
      checkedAt: 0,
      restartRequested: null,
    };
    const status = { name: 'a', state: 'healthy', pid: 7, restarts: 0, transport: 'stdio', tags: [], enabled: true } as const;
    const cells = (latencyMs: InstanceHealth['latencyMs']) =>
      formatHealth({ servers: [healthEntry({ ...status, tags: [] }, [{ ...measured, latencyMs }])] })
        .split('\n')[1]!
        .split(/ {2,}/);
    expect(cells(measured.latencyMs)).toEqual(['a', 'healthy', 'ewma 7ms p95 20ms', '2.5%', '4.0 MiB', '0', 'ok']);
    expect(cells({ last: 9, ewma: null, p95: null })).toEqual(['a', 'healthy', 'last 9ms', '2.5%', '4.0 MiB', '0', 'ok']);
  });
});

describe('formatCapabilities and formatReload', () => {
  it('handle the empty cases', () => {
    expect(formatCapabilities({ servers: [] })).toBe('no servers configured');
    expect(formatReload({ ok: true, added: ['a', 'b'], removed: [], changed: [] })).toBe('reloaded: +2 -0 ~0\n  + a\n  + b');
  });
});
