import { describe, expect, it } from 'vitest';
import { shownCommand } from '../../src/supervisor/status.js';
import { serverConfig } from '../health/helpers.js';

describe('shownCommand', () => {
  it('shows a stdio server command line with secret arguments redacted', () => {
    const server = serverConfig('s', {
      command: '/usr/bin/tool',
      args: ['--token', 'abcdef123456', '--api-key=sk-abcdefghijklmnop', 'serve'],
    });
    expect(shownCommand(server)).toEqual({ command: '/usr/bin/tool', args: ['--token', '[redacted]', '--api-key=[redacted]', 'serve'] });
  });

  it('shows nothing for a remote server', () => {
    const { command: _command, ...remote } = serverConfig('r', { connectionType: 'http', url: 'http://127.0.0.1:1/mcp' });
    expect(shownCommand(remote)).toEqual({});
  });
});
