import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync, chmodSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe as group, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES, NODE_FS, readTextFile, type ReadFs } from '../../src/config/read-file.js';
import { scan } from '../../src/discovery/scan.js';
import { tempDir, writeFile } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const GOOD = '{\n  "mcpServers": {\n    "good": { "command": "node", "args": ["server.mjs"] }\n  }\n}\n';

function fixtureDir() {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

const READ_TEXT = path.resolve(import.meta.dirname, '../../src/config/read-file.ts');

/** `readTextFile(file)` in a child process running as nobody (uid/gid 65534). */
function readAsNobody(file: string): unknown {
  const code = 'const m = await import(process.argv[1]); process.stdout.write(JSON.stringify(await m.readTextFile(process.argv[2])))';
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, READ_TEXT, file], {
    uid: 65534,
    gid: 65534,
    cwd: path.resolve(import.meta.dirname, '../..'),
    encoding: 'utf8',
  });
  return JSON.parse(out) as unknown;
}

/** `file: message` for each issue, file relative to `dir`. */
function issuesIn(dir: string, issues: readonly { file: string; message: string }[]): string[] {
  return issues.map((i) => `${path.relative(dir, i.file)}: ${i.message}`);
}

group('bad input: every problem is an issue naming its file, and the other files are still read', () => {
  it('broken links, symlink loops, binary data, a 50 MB file, a FIFO, a directory and invalid UTF-8', async () => {
    const dir = fixtureDir();
    writeFile(path.join(dir, 'good', '.mcp.json'), GOOD);
    // a project whose .mcp.json is a dangling link and whose .vscode/mcp.json is a link to itself
    mkdirSync(path.join(dir, 'project', '.vscode'), { recursive: true });
    symlinkSync('nowhere.json', path.join(dir, 'project', '.mcp.json'));
    symlinkSync('mcp.json', path.join(dir, 'project', '.vscode', 'mcp.json'));
    // two links pointing at each other
    symlinkSync('loop-b.json', path.join(dir, 'loop-a.json'));
    symlinkSync('loop-a.json', path.join(dir, 'loop-b.json'));
    writeFileSync(path.join(dir, 'garbage.json'), Buffer.from([0x7b, 0x00, 0x13, 0x37, 0xff, 0x00, 0x7d]));
    writeFileSync(path.join(dir, 'latin1.json'), Buffer.from('{"mcpServers": {"caf\xe9": {}}}', 'latin1'));
    const huge = path.join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 50 * 1024 * 1024); // sparse: 50 MB of nothing, no disk used
    execFileSync('mkfifo', [path.join(dir, 'pipe.json')]);
    mkdirSync(path.join(dir, 'dir-as-file', '.cursor', 'mcp.json'), { recursive: true });

    const opened: string[] = [];
    const fs: ReadFs = {
      ...NODE_FS,
      open: ((file: string, ...rest: unknown[]) => (
        opened.push(file),
        (fsp.open as (...a: unknown[]) => unknown)(file, ...rest)
      )) as ReadFs['open'],
    };
    const targets = ['project', 'loop-a.json', 'garbage.json', 'latin1.json', 'huge.json', 'pipe.json', 'dir-as-file', 'good'];
    const result = await scan(targets, { cwd: dir, env: { PATH: '/nonexistent-bin' }, fs });

    expect(result.servers.map((s) => s.name)).toEqual(['good']);
    expect(issuesIn(dir, result.issues)).toEqual([
      'project/.mcp.json: broken symbolic link (points to "nowhere.json", which does not exist)',
      'project/.vscode/mcp.json: symbolic link loop (the link resolves to itself): not read',
      'loop-a.json: symbolic link loop (the link resolves to itself): not read',
      'garbage.json: binary data (contains NUL bytes), not a text config file',
      'latin1.json: not UTF-8 text (binary data?), not a text config file',
      'huge.json: file is 50.0 MiB, more than the 4.0 MiB limit for a config file: not read',
      'pipe.json: not a regular file (a FIFO, socket or device): not read',
      'dir-as-file/.cursor/mcp.json: is a directory, expected a config file',
    ]);
    // the big file and the FIFO were never opened
    expect(opened).not.toContain(huge);
    expect(opened).not.toContain(path.join(dir, 'pipe.json'));
    expect(result.files.filter((f) => f.status === 'failed')).toHaveLength(8);
  });

  it('a file that cannot be read (EACCES) is an issue; the next file is still read', async () => {
    const dir = fixtureDir();
    const locked = writeFile(path.join(dir, 'locked', '.mcp.json'), GOOD);
    writeFile(path.join(dir, 'open', '.mcp.json'), GOOD.replace('"good"', '"other"'));
    // root ignores file modes, so the EACCES comes from the file-system layer discovery uses
    const fs: ReadFs = {
      ...NODE_FS,
      open: ((file: string, ...rest: unknown[]) =>
        file === locked
          ? Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' }))
          : (fsp.open as (...a: unknown[]) => unknown)(file, ...rest)) as ReadFs['open'],
    };
    const result = await scan([path.join(dir, 'locked'), path.join(dir, 'open')], { cwd: dir, fs });
    expect(issuesIn(dir, result.issues)).toEqual(['locked/.mcp.json: permission denied: cannot read the file']);
    expect(result.servers.map((s) => s.name)).toEqual(['other']);
  });

  it('chmod 000 is reported as permission denied (as root, read by an unprivileged child: root may read anything)', async () => {
    const dir = fixtureDir();
    chmodSync(dir, 0o755);
    const file = writeFile(path.join(dir, '.mcp.json'), GOOD);
    chmodSync(file, 0o000);
    const read = process.getuid?.() === 0 ? readAsNobody(file) : await readTextFile(file);
    expect(read).toMatchObject({ ok: false, issue: { file, message: 'permission denied: cannot read the file' } });
  });

  it('reads a file reached twice (directly and through a link) once', async () => {
    const dir = fixtureDir();
    const file = writeFile(path.join(dir, 'a', '.mcp.json'), GOOD);
    symlinkSync(file, path.join(dir, 'alias.json'));
    const result = await scan([path.join(dir, 'a'), path.join(dir, 'alias.json')], { cwd: dir });
    expect(result.servers.map((s) => s.name)).toEqual(['good']);
    expect(result.warnings).toEqual([]);
    expect(
      result.files
        .filter((f) => f.status !== 'missing')
        .map((f) => [path.relative(dir, f.file), f.status, f.sameAs && path.relative(dir, f.sameAs)]),
    ).toEqual([
      ['a/.mcp.json', 'read', undefined],
      ['alias.json', 'duplicate', 'a/.mcp.json'],
    ]);
  });

  it('a file of unknown kind given explicitly is an issue', async () => {
    const dir = fixtureDir();
    writeFile(path.join(dir, 'notes.txt'), 'hello');
    const result = await scan(['notes.txt'], { cwd: dir });
    expect(issuesIn(dir, result.issues)).toEqual([
      'notes.txt: not a config file discovery reads (expected YAML, an mcpServers or VS Code JSON file, package.json or pyproject.toml)',
    ]);
  });

  it('stops reading at the size limit even when the file grows after the size check', async () => {
    const dir = fixtureDir();
    const file = writeFile(path.join(dir, 'growing.json'), '{}');
    const fs: ReadFs = {
      ...NODE_FS,
      // report a small size, then serve more than the limit
      stat: (async (p: string) => Object.assign(await fsp.stat(p), { size: 2 })) as ReadFs['stat'],
    };
    writeFileSync(file, 'x'.repeat(MAX_CONFIG_BYTES + 10));
    const read = await readTextFile(file, { fs });
    expect(read).toMatchObject({
      ok: false,
      issue: { message: 'file grew past the 4.0 MiB limit for a config file while being read: not read' },
    });
  });
});
