import { renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { writeFile as writeFileAsync } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe as group, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { ReloadReport } from '../../src/control/types.js';
import { watchConfig, type ConfigWatcher } from '../../src/discovery/watch.js';
import { createLogger } from '../../src/logger.js';
import { createReloader } from '../../src/supervisor/reload.js';
import { tempDir, waitFor, writeFile } from './helpers.js';

const DEBOUNCE_MS = 100;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const yaml = (command: string) => `servers:\n  a:\n    command: ${command}\n`;

interface Recorder {
  changes: string[];
  lastAt: number;
}

async function watching(
  files: string[],
  options: { debounceMs?: number } = {},
): Promise<{ recorder: Recorder; watcher: ConfigWatcher; errors: Error[] }> {
  const recorder: Recorder = { changes: [], lastAt: Date.now() };
  const errors: Error[] = [];
  const watcher = watchConfig(
    files,
    (file) => {
      recorder.changes.push(file);
      recorder.lastAt = Date.now();
    },
    { debounceMs: options.debounceMs ?? DEBOUNCE_MS, onError: (e) => errors.push(e) },
  );
  cleanups.push(() => watcher.close());
  await watcher.ready;
  return { recorder, watcher, errors };
}

/** Wait until `count` changes arrived and then nothing more for `quietMs` (a later, duplicate change would show). */
async function settled(recorder: Recorder, count: number, quietMs = DEBOUNCE_MS * 4): Promise<void> {
  await waitFor(() => recorder.changes.length >= count, `${count} change(s)`, 10_000);
  await waitFor(() => Date.now() - recorder.lastAt >= quietMs, 'quiet', 10_000);
}

function setup() {
  const { dir, cleanup } = tempDir('mcp-watch-');
  cleanups.push(cleanup);
  const file = writeFile(path.join(dir, 'mcp-manager.yaml'), yaml('node'));
  return { dir, file };
}

group('watchConfig', () => {
  it('reports an in-place edit once', async () => {
    const { file } = setup();
    const { recorder, errors } = await watching([file]);
    writeFileSync(file, yaml('python3'));
    await settled(recorder, 1);
    expect(recorder.changes).toEqual([file]);
    expect(errors).toEqual([]);
  });

  it('reports an atomic save (write a temp file, rename it over the config) once, and nothing for the temp file', async () => {
    const { dir, file } = setup();
    const { recorder } = await watching([file]);
    const temp = path.join(dir, '.mcp-manager.yaml.tmp-1234');
    writeFileSync(temp, yaml('uvx'));
    renameSync(temp, file);
    await settled(recorder, 1);
    expect(recorder.changes).toEqual([file]);
    // and the watch survives the inode change: the next atomic save is seen too
    writeFileSync(temp, yaml('npx'));
    renameSync(temp, file);
    await settled(recorder, 2);
    expect(recorder.changes).toEqual([file, file]);
  });

  it('merges a burst of writes into one change, reported debounceMs after the last write', async () => {
    const { file } = setup();
    // long enough that the paced writes below always fall inside one window
    const debounceMs = 3_000;
    const { recorder } = await watching([file], { debounceMs });
    // a second watch without debounce sees each write: the next write goes out once the
    // previous one was seen on its own (whatever the load, the gaps stay far below debounceMs)
    const { recorder: each } = await watching([file], { debounceMs: 0 });
    let lastWriteAt = 0;
    let writes = 0;
    const start = Date.now();
    for (let i = 0; i < 4; i++) {
      // chokidar drops a change that comes too soon after the one before: write again until
      // this one is seen on its own
      for (const deadline = Date.now() + 10_000; each.changes.length <= i;) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for write ${i + 1} to be seen`);
        await writeFileAsync(file, yaml(`node${i}`));
        // file times may be coarser than these writes are apart; the watcher reports a change of mtime
        utimesSync(file, new Date(start), new Date(start + ++writes * 1_000));
        lastWriteAt = Date.now();
        await waitFor(() => each.changes.length > i, `write ${i + 1} to be seen`, 200).catch(() => undefined);
      }
    }
    await settled(recorder, 1, DEBOUNCE_MS * 4);
    // a write seen late may count twice; what matters is that each was seen apart
    expect(each.changes.length).toBeGreaterThanOrEqual(4);
    expect(recorder.changes).toEqual([file]);
    expect(recorder.lastAt - lastWriteAt).toBeGreaterThanOrEqual(debounceMs - 20);
  });

  it('reports each watched file separately and ignores other files in the directory', async () => {
    const { dir, file } = setup();
    const other = writeFile(path.join(dir, '.mcp.json'), '{"mcpServers": {}}');
    const { recorder } = await watching([file, other]);
    writeFileSync(path.join(dir, 'unrelated.txt'), 'x');
    writeFileSync(other, '{"mcpServers": {"b": {"command": "node"}}}');
    writeFileSync(file, yaml('python3'));
    await settled(recorder, 2);
    expect([...recorder.changes].sort()).toEqual([file, other].sort());
  });

  it('reports a deleted file, and the file when it comes back', async () => {
    const { file } = setup();
    const { recorder } = await watching([file]);
    rmSync(file);
    await settled(recorder, 1);
    writeFileSync(file, yaml('node'));
    await settled(recorder, 2);
    expect(recorder.changes).toEqual([file, file]);
  });

  it('keeps working after an invalid edit: the reload reports the issues, the next valid edit reloads', async () => {
    const { file } = setup();
    const loaded = parseConfigText(yaml('node'), file, { env: {} });
    if (!loaded.ok) throw new Error('fixture config must load');
    let lastGood: Config = loaded.config;
    const results: ReloadReport[] = [];
    // the manager's own reloader, applying to a stand-in for the running config
    const reload = createReloader(
      file,
      {},
      { current: () => lastGood, apply: (next) => (lastGood = next) },
      createLogger({ level: 'silent' }),
    );
    const watcher = watchConfig([file], () => void reload().then((report) => results.push(report)), { debounceMs: DEBOUNCE_MS });
    cleanups.push(() => watcher.close());
    await watcher.ready;

    writeFileSync(file, 'servers:\n  a:\n    command: node\n    timeout_typo: 3\n');
    await waitFor(() => results.length === 1, 'the reload of the invalid edit', 10_000);
    expect(results[0]).toEqual({
      ok: false,
      added: [],
      removed: [],
      changed: [],
      issues: [{ file, path: 'servers.a', line: 4, column: 5, message: 'unknown key "timeout_typo"' }],
    });

    writeFileSync(file, yaml('python3'));
    await waitFor(() => results.length === 2, 'the reload of the valid edit', 10_000);
    expect(results[1]).toEqual({ ok: true, added: [], removed: [], changed: ['a'] });
    expect(lastGood.servers[0]?.command).toBe('python3');
  });

  it('reports nothing after close()', async () => {
    const { file } = setup();
    const { recorder, watcher } = await watching([file]);
    // a twin watch with the same debounce stays open: once it reports the edit, the closed one would have too
    const { recorder: twin } = await watching([file]);
    writeFileSync(file, yaml('python3'));
    await settled(recorder, 1);
    await waitFor(() => twin.changes.length === 1, 'the twin to see the first edit', 10_000);
    await watcher.close();
    writeFileSync(file, yaml('node'));
    await waitFor(() => twin.changes.length === 2, 'the twin to see the second edit', 10_000);
    expect(recorder.changes).toEqual([file]);
  });
});

group('watchConfig: another set of files', () => {
  it('setFiles watches the new set from then on and drops the old one', async () => {
    const { dir, file } = setup();
    const oldEnv = writeFile(path.join(dir, 'old.env'), 'A=1\n');
    const newEnv = writeFile(path.join(dir, 'secrets', 'new.env'), 'A=1\n');
    const { recorder, watcher } = await watching([file, oldEnv]);
    writeFileSync(oldEnv, 'A=2\n');
    await settled(recorder, 1);
    await watcher.setFiles([file, newEnv]);
    writeFileSync(newEnv, 'A=2\n');
    await settled(recorder, 2);
    // the old env file is no longer watched: an edit of it and then of the config report only the config
    writeFileSync(oldEnv, 'A=3\n');
    writeFileSync(file, yaml('python3'));
    await settled(recorder, 3);
    expect(recorder.changes).toEqual([oldEnv, newEnv, file]);
  });
});

group('watchConfig edge cases', () => {
  it('is ready at once with nothing to watch, and reports a directory that does not exist', async () => {
    const errors: Error[] = [];
    const watcher = watchConfig(['/nonexistent-mcp-dir/mcp-manager.yaml'], () => undefined, { onError: (e) => errors.push(e) });
    cleanups.push(() => watcher.close());
    await watcher.ready;
    expect(errors.map((e) => e.message)).toEqual(['not watched: directory /nonexistent-mcp-dir does not exist']);
    const none = watchConfig([], () => undefined);
    await none.ready;
    await none.close();
  });

  it('reports a change made through the target of a symlinked config', async () => {
    const { dir } = setup();
    const real = writeFile(path.join(dir, 'real', 'config.yaml'), yaml('node'));
    const { symlinkSync } = await import('node:fs');
    const link = path.join(dir, 'linked.yaml');
    symlinkSync(real, link);
    const { recorder } = await watching([link]);
    writeFileSync(real, yaml('python3'));
    await settled(recorder, 1);
    expect(recorder.changes).toEqual([link]);
  });
});
