import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe as group, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { ServerConfig } from '../../src/config/types.js';
import { createReadContext } from '../../src/discovery/scan.js';
import { detectDiscoveredType } from '../../src/discovery/server-type.js';
import { tempDir, writeFile } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]);

function server(dir: string, entry: Record<string, unknown>): ServerConfig {
  const result = parseConfigText(JSON.stringify({ mcpServers: { s: entry } }), path.join(dir, '.mcp.json'), { env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config.servers[0]!;
}

group('server type from command and files', () => {
  it('uses the command name, a script argument, env wrappers, and a url', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const probe = createReadContext({ env: { PATH: path.join(dir, 'bin') }, cwd: dir });
    const type = (entry: Record<string, unknown>) => detectDiscoveredType(server(dir, entry), false, probe);
    expect(await type({ command: 'uvx', args: ['mcp-server-time'] })).toBe('python');
    expect(await type({ command: 'npx', args: ['-y', 'x'] })).toBe('node');
    expect(await type({ command: 'go', args: ['run', '.'] })).toBe('go');
    expect(await type({ command: 'cargo', args: ['run'] })).toBe('rust');
    expect(await type({ command: '/usr/bin/env', args: ['-S', 'FOO=1', 'python3', 'server.py'] })).toBe('python');
    expect(await type({ command: 'my-launcher', args: ['--flag', 'server.mjs'] })).toBe('node');
    expect(await type({ command: 'my-launcher', args: ['run.sh'] })).toBe('shell');
    expect(await type({ url: 'https://example.com/mcp' })).toBe('remote');
    expect(await type({ command: 'never-heard-of-it' })).toBe('unknown');
  });

  it('reads a shebang, and finds go.mod / Cargo.toml next to a native binary', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeFile(path.join(dir, 'bin', 'py-server'), '#!/usr/bin/env -S python3 -u\nprint()\n', 0o755);
    writeFile(path.join(dir, 'bin', 'sh-server'), '#!/bin/bash\nexec true\n', 0o755);
    writeFile(path.join(dir, 'goproj', 'go.mod'), 'module example.com/srv\n');
    writeFileSync(writeFile(path.join(dir, 'goproj', 'bin', 'srv'), '', 0o755), ELF);
    writeFile(path.join(dir, 'rsproj', 'Cargo.toml'), '[package]\nname = "srv"\n');
    writeFileSync(writeFile(path.join(dir, 'rsproj', 'target', 'release', 'srv'), '', 0o755), ELF);
    writeFileSync(writeFile(path.join(dir, 'plain', 'srv'), '', 0o755), ELF);
    writeFileSync(writeFile(path.join(dir, 'home', 'go', 'bin', 'gopls-mcp'), '', 0o755), ELF);
    const probe = createReadContext({ env: { PATH: path.join(dir, 'bin') }, cwd: dir });
    const type = (entry: Record<string, unknown>) => detectDiscoveredType(server(dir, entry), false, probe);
    expect(await type({ command: 'py-server' })).toBe('python'); // found on PATH
    expect(await type({ command: './bin/sh-server' })).toBe('shell');
    expect(await type({ command: './goproj/bin/srv' })).toBe('go');
    expect(await type({ command: './rsproj/target/release/srv' })).toBe('rust');
    expect(await type({ command: './plain/srv' })).toBe('binary');
    expect(await type({ command: path.join(dir, 'home', 'go', 'bin', 'gopls-mcp') })).toBe('go');
    // written in the file: taken as is
    expect(await detectDiscoveredType({ ...server(dir, { command: './plain/srv' }), serverType: 'rust' }, true, probe)).toBe('rust');
  });
});
