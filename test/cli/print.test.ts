import { describe, expect, it } from 'vitest';
import { formatDuration, formatError, formatServerList, formatStatus, formatTable } from '../../src/cli/print.js';
import { ConfigError, ManagerError } from '../../src/errors.js';
import { SERVERS, snapshot } from '../control/helpers.js';

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
    expect(formatStatus(snapshot(false), { detailed: false }).split('\n')[5]).toBe(
      'echo    healthy  4242  0         stdio      -       -',
    );
    const detailed = formatStatus(snapshot(true), { detailed: true });
    expect(detailed).toContain(['echo', '  state  healthy', '  tags   test', '  tools  echo, add'].join('\n'));
    expect(detailed).toContain(['  error:', '    server "broken" exited with code 1', '      stderr (last lines):'].join('\n'));
  });

  it('does not repeat an exit error\'s stderr lines when the tail is shown on its own', () => {
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
