import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/load.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mm-envfile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function config(envFile: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    `manager:\n  env_file: ${envFile}\nservers:\n  gh:\n    command: node\n    env:\n      TOKEN: "\${GH_TOKEN}"\n      OTHER: "\${OTHER:-x}"\n`,
  );
  return file;
}

describe('manager.env_file', () => {
  it('supplies ${VAR} values from the file beside the config; the environment wins', async () => {
    writeFileSync(join(dir, 'mcp.env'), '# secrets\nGH_TOKEN=from-file\nOTHER="quoted value"\n', { mode: 0o600 });
    chmodSync(join(dir, 'mcp.env'), 0o600);
    const result = await readConfig(config('mcp.env'), { env: { OTHER: 'from-env' } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.servers[0]!.env).toMatchObject({ TOKEN: 'from-file', OTHER: 'from-env' });
    expect(result.config.manager.envFile).toBe(join(dir, 'mcp.env'));
    expect(result.warnings).toEqual([]);
  });

  it('reports a missing env file at manager.env_file with its line', async () => {
    const result = await readConfig(config('missing.env'), { env: {} });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({
      path: 'manager.env_file',
      line: 2,
      message: `env file not found: ${join(dir, 'missing.env')}`,
    });
  });

  it('warns when others may read the env file', async () => {
    writeFileSync(join(dir, 'open.env'), 'GH_TOKEN=t\n');
    chmodSync(join(dir, 'open.env'), 0o644);
    const result = await readConfig(config('open.env'), { env: {} });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings.map((w) => w.message).join('\n')).toContain('chmod 600');
  });
});
