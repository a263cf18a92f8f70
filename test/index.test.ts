import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { REPO } from './supervisor/harness.js';

describe('package entry', () => {
  it('the built package exports startManager and the error classes', async () => {
    const api = (await import(join(REPO, 'dist/src/index.js'))) as Record<string, unknown>;
    expect(typeof api.startManager).toBe('function');
    expect(Object.keys(api).sort()).toEqual(['ConfigError', 'ManagerError', 'ServerExitError', 'startManager']);
  });
});
