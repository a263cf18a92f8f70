import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/load.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mm-reserved-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('reserved server names', () => {
  it('a server named manager (any case) is refused: it would share logs/manager.log', async () => {
    for (const name of ['manager', 'Manager']) {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, `servers:\n  ok:\n    command: node\n  ${name}:\n    command: node\n`);
      const result = await readConfig(file, { env: {} });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.issues).toEqual([
        expect.objectContaining({
          file,
          path: `servers.${name}`,
          line: 4,
          message: expect.stringMatching(/reserved for the manager itself \(its log is logs\/manager\.log\)/) as string,
        }),
      ]);
    }
  });

  it('names that only contain it are fine', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'servers:\n  manager-tools:\n    command: node\n  task.manager:\n    command: node\n');
    expect((await readConfig(file, { env: {} })).ok).toBe(true);
  });
});
