import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStateStore, readState } from '../../../src/servers/task-runner/state.js';
import { makeTempDir } from './harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function tempStateFile(): Promise<string> {
  const { dir, cleanup } = await makeTempDir();
  cleanups.push(cleanup);
  return path.join(dir, 'task_state.json');
}

describe('state store', () => {
  it('serializes concurrent updates so none is lost, and leaves no temp files', async () => {
    const file = await tempStateFile();
    const store = createStateStore();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.update(file, (state) => {
          state.tasks[`${String(i).padStart(3, '0')}.md`] = { ...emptyEntry(), status: 'completed' };
        }),
      ),
    );
    expect(Object.keys((await readState(file)).tasks)).toHaveLength(25);
    expect(await readdir(path.dirname(file))).toEqual(['task_state.json']);
  });

  it('reports a corrupt file clearly instead of overwriting it', async () => {
    const file = await tempStateFile();
    await writeFile(file, '{"version": 1, "tasks": {"a.md": {"status": "sleeping"}}}');
    await expect(readState(file)).rejects.toMatchObject({ code: 'STATE_CORRUPT', message: expect.stringMatching(/tasks\.a\.md\.status/) });
    await expect(createStateStore().update(file, () => undefined)).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
    expect(await readFile(file, 'utf8')).toContain('sleeping');
  });

  it('removes temp files left by dead writers but not by live ones', async () => {
    const file = await tempStateFile();
    const dead = await deadPid();
    await writeFile(`${file}.${dead}.abcd.tmp`, '{');
    await writeFile(`${file}.${process.pid}.beef.tmp`, '{');
    const removed = await createStateStore().removeStrayTempFiles(file);
    expect(removed).toBe(1);
    expect(await readdir(path.dirname(file))).toEqual([`task_state.json.${process.pid}.beef.tmp`]);
  });
});

function emptyEntry() {
  return {
    status: 'pending' as const,
    pid: null,
    server_pid: null,
    started_at: null,
    finished_at: null,
    duration_ms: null,
    exit_code: null,
    signal: null,
    message: null,
  };
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}
