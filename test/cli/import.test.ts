/**
 * `import` from a Claude Desktop config laid out under a temp HOME (Linux layout): the
 * token goes to the 0600 env file, not the YAML, and the imported server starts with it.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { ECHO, runManager, tempDir, type Running } from '../supervisor/harness.js';
import { testContext } from './context.js';

let dir: string;
let cleanup: () => void;
let running: Running | undefined;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(async () => {
  await running?.manager.stop();
  running = undefined;
  cleanup();
});

const TOKEN = 'ghp_importedTokenValue0123456789abcdef';
const CONFIG = `# ours, with comments
servers:
  # the one we had
  notes:
    command: ${process.execPath}
    args: ["${ECHO}"]
    stop_grace: 0.2
`;

describe('import --from claude-desktop', () => {
  it('keeps the token out of the YAML, in the 0600 env file, and the server starts with it', async () => {
    const home = join(dir, 'home');
    const desktop = join(home, '.config', 'Claude');
    mkdirSync(desktop, { recursive: true });
    writeFileSync(
      join(desktop, 'claude_desktop_config.json'),
      JSON.stringify({
        mcpServers: {
          notes: { command: process.execPath, args: [ECHO, '--other'], env: { GITHUB_TOKEN: TOKEN } },
          asks: { command: 'x', env: { KEY: '${input:key}' } },
        },
        globalShortcut: 'Ctrl+Space',
      }),
    );
    const file = join(dir, 'config.yaml');
    writeFileSync(file, CONFIG);
    const ctx = testContext(join(dir, 'state'), { env: { HOME: home, MCP_MANAGER_HOME: join(dir, 'state') }, cwd: dir });
    const code = await runCli(['import', '--from', 'claude-desktop', '--all', '--config', file, '--json'], ctx);
    expect(code).toBe(0);
    const report = JSON.parse(ctx.stdout()) as {
      imported: { name: string; renamedFrom?: string }[];
      skipped: { name: string; reason: string }[];
    };
    expect(report.imported).toEqual([expect.objectContaining({ name: 'notes-desktop', renamedFrom: 'notes' })]);
    expect(report.skipped).toEqual([expect.objectContaining({ name: 'asks', reason: expect.stringContaining('input prompt') })]);

    const yaml = readFileSync(file, 'utf8');
    expect(yaml).not.toContain(TOKEN);
    expect(yaml).toContain('GITHUB_TOKEN: ${GITHUB_TOKEN}');
    expect(yaml.startsWith(CONFIG)).toBe(true);
    const envFile = join(dir, 'config.env');
    expect(readFileSync(envFile, 'utf8')).toContain(`GITHUB_TOKEN=${TOKEN}`);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);

    running = await runManager(file, join(dir, 'state'));
    await running.waitState('notes-desktop', 'healthy');
    const result = await running.control.callTool('notes-desktop', 'env', { name: 'GITHUB_TOKEN' });
    // the server has the value; the control API redacts it as the known secret it is
    expect(JSON.stringify(result)).not.toContain('<unset>');
    expect(JSON.stringify(result)).toContain('[redacted]');
  });
});
