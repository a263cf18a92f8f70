import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe as group, expect, it } from 'vitest';
import { discover, scan } from '../../src/discovery/scan.js';
import { defaultDiscoveryPaths, SOURCE_PRECEDENCE } from '../../src/discovery/sources.js';
import { FIXTURES, describe, tempDir, writeFile } from './helpers.js';

const PROJECT = path.join(FIXTURES, 'project');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

group('scan a project directory', () => {
  it('reads every project file and resolves duplicate names by precedence, warning with both sources', async () => {
    const result = await scan([PROJECT], { env: { PATH: '/nonexistent-bin', HOME: '/nonexistent-home' }, cwd: PROJECT });
    expect(result.servers.map((s) => [s.name, s.source.kind])).toEqual([
      ['shared', 'mcp-manager'],
      ['ours-only', 'mcp-manager'],
      ['claude-only', 'claude-code-project'],
      ['editors', 'claude-code-project'],
      ['fetch', 'vscode-workspace'],
      ['copilot', 'vscode-workspace'],
      ['local-script', 'vscode-workspace'],
      ['cursor-only', 'cursor-project'],
      ['project-server', 'pyproject'],
    ]);
    // the winner of "shared" is ours, with its own args
    expect(result.servers[0]!.config.args).toEqual(['tools/server.mjs', '--from', 'mcp-manager.yaml']);
    expect(result.shadowed.map((s) => [s.server.name, s.server.source.kind, s.by.kind])).toEqual([
      ['shared', 'claude-code-project', 'mcp-manager'],
      ['editors', 'vscode-workspace', 'claude-code-project'],
      ['editors', 'cursor-project', 'claude-code-project'],
      ['editors', 'package-json', 'claude-code-project'],
    ]);
    const shadowWarnings = result.warnings.filter((w) => w.message.includes('shadowed'));
    expect(shadowWarnings.map((w) => `${path.relative(PROJECT, w.file)} ${describe(w)}`)).toEqual([
      `.mcp.json 3:5 shared: server "shared" (claude-code-project) is shadowed by the one in ${PROJECT}/mcp-manager.yaml:3 (mcp-manager, higher precedence)`,
      `.vscode/mcp.json 38:5 editors: server "editors" (vscode-workspace) is shadowed by the one in ${PROJECT}/.mcp.json:11 (claude-code-project, higher precedence)`,
      `.cursor/mcp.json 3:5 editors: server "editors" (cursor-project) is shadowed by the one in ${PROJECT}/.mcp.json:11 (claude-code-project, higher precedence)`,
      `package.json 5:3 editors: server "editors" (package-json) is shadowed by the one in ${PROJECT}/.mcp.json:11 (claude-code-project, higher precedence)`,
    ]);
    // the one bad entry (an ${input:...}) is an issue; everything else was read
    expect(result.issues.map((i) => `${path.relative(PROJECT, i.file)} ${describe(i)}`)).toEqual([
      '.vscode/mcp.json 17:32 servers.perplexity.env.PERPLEXITY_API_KEY: unresolvable input placeholder ${input:perplexity-key} (inputs are prompted by VS Code; pass the value through an environment variable instead)',
    ]);
    expect(result.files.map((f) => [path.relative(PROJECT, f.file), f.status, f.servers])).toEqual([
      ['mcp-manager.yaml', 'read', 2],
      ['mcp-manager.yml', 'missing', 0],
      ['.mcp.json', 'read', 3],
      ['.vscode/mcp.json', 'read', 4],
      ['.cursor/mcp.json', 'read', 2],
      ['package.json', 'read', 1],
      ['pyproject.toml', 'read', 1],
    ]);
  });

  it('picks the winner of a name declared in every source in the documented precedence order', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const project = path.join(dir, 'project');
    const home = path.join(dir, 'home');
    const entry = '{"dup": {"command": "node"}}';
    const claudeJson = (local: boolean, user: boolean) =>
      JSON.stringify({
        ...(local ? { projects: { [project]: { mcpServers: JSON.parse(entry) as unknown } } } : {}),
        ...(user ? { mcpServers: JSON.parse(entry) as unknown } : {}),
      });
    // one declaration of "dup" per source kind; removing the winner's lets the next one win
    const sources: [kind: string, file: string, text: string, remove?: () => void][] = [
      ['mcp-manager', path.join(project, 'mcp-manager.yaml'), 'servers:\n  dup:\n    command: node\n'],
      ['claude-code-project', path.join(project, '.mcp.json'), `{"mcpServers": ${entry}}`],
      ['vscode-workspace', path.join(project, '.vscode', 'mcp.json'), `{"servers": ${entry}}`],
      ['cursor-project', path.join(project, '.cursor', 'mcp.json'), `{"mcpServers": ${entry}}`],
      [
        'package-json',
        path.join(project, 'package.json'),
        JSON.stringify({ name: 'p', version: '1.0.0', mcp: { name: 'dup', command: 'node' } }),
      ],
      [
        'pyproject',
        path.join(project, 'pyproject.toml'),
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["mcp>=1"]\n\n[project.scripts]\ndup = "p.main:main"\n',
      ],
      [
        'claude-code-local',
        path.join(home, '.claude.json'),
        claudeJson(true, true),
        () => writeFile(path.join(home, '.claude.json'), claudeJson(false, true)),
      ],
      ['claude-code-user', path.join(home, '.claude.json'), claudeJson(false, true)],
      ['claude-desktop', path.join(home, '.config', 'Claude', 'claude_desktop_config.json'), `{"mcpServers": ${entry}}`],
      ['vscode-user', path.join(home, '.config', 'Code', 'User', 'mcp.json'), `{"servers": ${entry}}`],
      ['cursor-user', path.join(home, '.cursor', 'mcp.json'), `{"mcpServers": ${entry}}`],
    ];
    for (const [kind, file, text] of sources) if (kind !== 'claude-code-user') writeFile(file, text);
    const winners: string[] = [];
    for (const [, file, , remove] of sources) {
      const result = await discover({ env: { HOME: home, PATH: '/nonexistent-bin' }, cwd: project, platform: 'linux' });
      const dup = result.servers.filter((s) => s.name === 'dup');
      expect(dup).toHaveLength(1);
      winners.push(dup[0]!.source.kind);
      // every other declaration is reported as shadowed by the winner
      expect(result.shadowed.filter((x) => x.server.name === 'dup').every((x) => x.by.kind === dup[0]!.source.kind)).toBe(true);
      if (remove) remove();
      else rmSync(file);
    }
    // the order README and sources.ts document
    expect(winners).toEqual(sources.map(([kind]) => kind));
    expect(SOURCE_PRECEDENCE).toEqual(winners);
  });
});

group('default discovery paths', () => {
  it('are the project directory and the user configs of Claude Desktop, Claude Code, VS Code and Cursor', () => {
    expect(defaultDiscoveryPaths({ HOME: '/home/u' }, '/work/app', 'linux')).toEqual([
      '/work/app',
      { path: '/home/u/.config/Claude/claude_desktop_config.json', optional: true },
      { path: '/home/u/.claude.json', optional: true },
      { path: '/home/u/.config/Code/User/mcp.json', optional: true },
      { path: '/home/u/.cursor/mcp.json', optional: true },
    ]);
    expect(defaultDiscoveryPaths({ HOME: '/home/u', XDG_CONFIG_HOME: '/xdg' }, '/w', 'linux')).toContainEqual({
      path: '/xdg/Claude/claude_desktop_config.json',
      optional: true,
    });
    expect(defaultDiscoveryPaths({ HOME: '/Users/u' }, '/w', 'darwin')).toEqual([
      '/w',
      { path: '/Users/u/Library/Application Support/Claude/claude_desktop_config.json', optional: true },
      { path: '/Users/u/.claude.json', optional: true },
      { path: '/Users/u/Library/Application Support/Code/User/mcp.json', optional: true },
      { path: '/Users/u/.cursor/mcp.json', optional: true },
    ]);
  });

  it('discover() reads user-level configs below project ones, each user source in its own rank', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const home = path.join(dir, 'home');
    const project = path.join(dir, 'app');
    const entry = (from: string) => ({ command: 'node', args: ['server.mjs', '--from', from] });
    writeFile(path.join(project, '.mcp.json'), JSON.stringify({ mcpServers: { a: entry('project') } }));
    writeFile(
      path.join(home, '.claude.json'),
      JSON.stringify({
        mcpServers: { a: entry('claude-user'), b: entry('claude-user'), c: entry('claude-user') },
        projects: { [project]: { mcpServers: { b: entry('claude-local') } } },
      }),
    );
    cpSync(
      path.join(FIXTURES, 'claude-desktop', 'claude_desktop_config.json'),
      path.join(home, '.config', 'Claude', 'claude_desktop_config.json'),
    );
    writeFile(
      path.join(home, '.config', 'Code', 'User', 'mcp.json'),
      JSON.stringify({ servers: { c: entry('vscode-user'), d: entry('vscode-user') } }),
    );
    writeFile(path.join(home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { d: entry('cursor-user'), e: entry('cursor-user') } }));

    const result = await discover({ env: { HOME: home, PATH: '/nonexistent-bin' }, cwd: project, platform: 'linux' });
    expect(result.issues).toEqual([]);
    const from = (name: string) => result.servers.find((s) => s.name === name)?.config.args[2];
    expect([from('a'), from('b'), from('c'), from('d'), from('e')]).toEqual([
      'project',
      'claude-local',
      'claude-user',
      'vscode-user',
      'cursor-user',
    ]);
    expect(result.servers.filter((s) => s.source.kind === 'claude-desktop').map((s) => s.name)).toEqual([
      'filesystem',
      'github',
      'weather',
      'linear',
    ]);
    expect(result.shadowed.map((s) => `${s.server.name}:${s.server.source.kind}<${s.by.kind}`).sort()).toEqual([
      'a:claude-code-user<claude-code-project',
      'b:claude-code-user<claude-code-local',
      'c:vscode-user<claude-code-user',
      'd:cursor-user<vscode-user',
    ]);
  });

  it('skips absent user configs silently but reports an absent path given explicitly', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const result = await discover({
      env: { HOME: path.join(dir, 'nobody') },
      cwd: dir,
      paths: [path.join(dir, 'missing.json')],
      platform: 'linux',
    });
    expect(result.servers).toEqual([]);
    expect(result.issues.map((i) => [i.file, i.message])).toEqual([[path.join(dir, 'missing.json'), 'file not found']]);
  });
});
