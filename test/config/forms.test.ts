import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { formatConfigIssue } from '../../src/errors.js';

function check(text: string, file: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(text, file, { env });
}

function load(text: string, file: string, env: NodeJS.ProcessEnv = {}) {
  const result = check(text, file, env);
  if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join('\n'));
  return result;
}

function problems(text: string, file: string, env: NodeJS.ProcessEnv = {}): string[] {
  const result = check(text, file, env);
  if (result.ok) throw new Error('expected issues, the config loaded');
  return result.issues.map((i) => `${i.line ?? '-'}:${i.column ?? '-'} ${i.path}: ${i.message}`);
}

const CLAUDE_DESKTOP = `{
  "globalShortcut": "Alt+Space",
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]
    },
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "\${GITHUB_TOKEN}" }
    },
    "weather": {
      "command": "uv",
      "args": ["--directory", "/Users/me/weather", "run", "weather.py"],
      "env": { "API_KEY": "plain-value" }
    }
  }
}
`;

describe('mcpServers form (Claude Desktop, .mcp.json)', () => {
  it('loads a Claude Desktop config with env, ignoring app settings with a warning', () => {
    const result = load(CLAUDE_DESKTOP, '/home/me/.config/Claude/claude_desktop_config.json', { GITHUB_TOKEN: 'ghp_x' });
    expect(result.config.servers.map((s) => [s.name, s.connectionType, s.serverType, s.env])).toEqual([
      ['filesystem', 'stdio', 'node', {}],
      ['github', 'stdio', 'node', { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_x' }],
      ['weather', 'stdio', 'python', { API_KEY: 'plain-value' }],
    ]);
    expect(result.config.servers[0]?.cwd).toBe('/home/me/.config/Claude');
    expect(result.warnings.map(formatConfigIssue)).toEqual([
      '/home/me/.config/Claude/claude_desktop_config.json:2:3: ignored key "globalShortcut" (not part of the MCP server configuration)',
    ]);
  });

  it('reports the unset variable of an enabled server with its position', () => {
    expect(problems(CLAUDE_DESKTOP, '/c/claude.json')).toEqual([
      '11:49 mcpServers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN: variable GITHUB_TOKEN is not set (write ${GITHUB_TOKEN:-default} to give a default)',
    ]);
  });

  it('accepts type (with aliases), disabled, our snake_case keys, and comments / trailing commas', () => {
    const result = load(
      `{
  // Claude Code project servers
  "mcpServers": {
    "remote": { "type": "http", "url": "https://mcp.example.com/mcp", "headers": { "X-Key": "\${KEY:-none}" } },
    "stream": { "type": "streamable-http", "url": "https://mcp.example.com/mcp" },
    "legacy": { "type": "sse", "url": "https://mcp.example.com/sse", "disabled": true, },
    /* ours */
    "local": { "command": "node", "args": ["server.js"], "replicas": 2, "health_check_interval": "10s", "enabled": false },
  },
}
`,
      '/p/.mcp.json',
    );
    expect(result.config.servers.map((s) => [s.name, s.connectionType, s.enabled, s.headers])).toEqual([
      ['remote', 'http', true, { 'X-Key': 'none' }],
      ['stream', 'http', true, {}],
      ['legacy', 'sse', false, {}],
      ['local', 'stdio', false, {}],
    ]);
    expect(result.config.servers[3]).toMatchObject({ replicas: 2, healthCheckIntervalMs: 10_000 });
    expect(result.warnings).toEqual([]);
  });

  it('rejects unknown keys and conflicting type/connection_type', () => {
    expect(
      problems('{"mcpServers": {"a": {"command": "x", "type": "http", "connection_type": "stdio", "autoApprove": []}}}', '/p/.mcp.json'),
    ).toEqual(['1:47 mcpServers.a.type: conflicts with connection_type "stdio"', '1:83 mcpServers.a: unknown key "autoApprove"']);
  });

  it('also works as YAML', () => {
    expect(load('mcpServers:\n  a: {command: x}\n', '/p/servers.yaml').config.servers.map((s) => s.name)).toEqual(['a']);
  });
});

describe('VS Code form (JSON with top-level servers)', () => {
  it('loads stdio and http servers', () => {
    const result = load(
      `{
  "servers": {
    "fetch": { "type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"], "env": { "A": "\${env:HOME}" } },
    "docs": { "type": "http", "url": "https://docs.example.com/mcp" }
  }
}`,
      '/w/.vscode/mcp.json',
      { HOME: '/home/me' },
    );
    expect(result.config.servers.map((s) => [s.name, s.connectionType, s.serverType, s.env])).toEqual([
      ['fetch', 'stdio', 'python', { A: '/home/me' }],
      ['docs', 'http', 'remote', {}],
    ]);
  });

  it('reports ${input:...} placeholders as unresolvable, at their column', () => {
    expect(
      problems(
        `{
  "inputs": [{ "type": "promptString", "id": "api-key", "description": "API key", "password": true }],
  "servers": {
    "perplexity": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "server-perplexity-ask"],
      "env": { "PERPLEXITY_API_KEY": "\${input:api-key}" }
    }
  }
}`,
        '/w/.vscode/mcp.json',
      ),
    ).toEqual([
      '8:39 servers.perplexity.env.PERPLEXITY_API_KEY: unresolvable input placeholder ${input:api-key} (inputs are prompted by VS Code; pass the value through an environment variable instead)',
    ]);
  });

  it('treats JSON with manager and servers as our form', () => {
    const result = load(
      '{"manager": {"log_level": "debug"}, "servers": {"a": {"command": "x", "connection_type": "stdio"}}}',
      '/p/ours.json',
    );
    expect(result.config.manager.logLevel).toBe('debug');
    expect(problems('{"servers": {"a": {"command": "x"}}, "extra": 1}', '/p/vscode.json')).toEqual(['1:38 : unknown key "extra"']);
  });
});
