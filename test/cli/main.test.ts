import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shortTempDir } from '../control/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Run the real CLI entry point (through tsx) and collect its exit code and output. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('mcp-manager (process)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
  });
  afterEach(() => cleanup());

  it('validate exits 1 and names file and position of each problem in a bad config', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'servers:\n  a:\n    command: "echo"\n    comand: "typo"\n');
    const { code, stdout, stderr } = await cli(['validate', '--config', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${file}:4:`);
    expect(stderr).toContain('servers.a');
  });

  it('validate exits 0 for a good config', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'servers:\n  a:\n    command: "echo"\n');
    const { code, stdout } = await cli(['validate'], { MCP_MANAGER_CONFIG: file });
    expect(stdout).toBe(`${file}: OK (1 server)\n`);
    expect(code).toBe(0);
  });

  it('exits 2 on a usage error and 1 when no manager runs', async () => {
    const usage = await cli(['status', '--nope']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^mcp-manager: status: unknown option '--nope'\nusage: mcp-manager status/);
    const status = await cli(['status'], { MCP_MANAGER_HOME: dir });
    expect(status.code).toBe(1);
    expect(status.stderr).toBe(`mcp-manager: no mcp-manager is running for state dir ${dir} (no control socket at ${dir}/control.sock)\n`);
  });
});
