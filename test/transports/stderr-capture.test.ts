import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StderrCapture } from '../../src/transports/stderr-capture.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpm-stderr-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('StderrCapture', () => {
  it('splits chunks into lines, joining partial lines and stripping CR', async () => {
    const capture = await StderrCapture.open({ tailLines: 10 });
    capture.write(Buffer.from('one\ntw'));
    capture.write(Buffer.from('o\r\nthree'));
    expect(capture.tail()).toEqual(['one', 'two']);
    capture.flush();
    expect(capture.tail()).toEqual(['one', 'two', 'three']);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const capture = await StderrCapture.open({ tailLines: 10 });
    const bytes = Buffer.from('héllo\n');
    capture.write(bytes.subarray(0, 2));
    capture.write(bytes.subarray(2));
    expect(capture.tail()).toEqual(['héllo']);
  });

  it('keeps only the last tailLines lines', async () => {
    const capture = await StderrCapture.open({ tailLines: 3 });
    capture.write('a\nb\nc\nd\ne\n');
    expect(capture.tail()).toEqual(['c', 'd', 'e']);
  });

  it('cuts an endless line into maxLineLength pieces', async () => {
    const capture = await StderrCapture.open({ tailLines: 10, maxLineLength: 4 });
    capture.write('abcdefghij');
    expect(capture.tail()).toEqual(['abcd', 'efgh']);
    capture.flush();
    expect(capture.tail()).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('appends timestamped lines to the log file, creating directories', async () => {
    const logFile = join(dir, 'nested', 'deeper', 'server.log');
    await writeFile(join(dir, 'marker'), '');
    const first = await StderrCapture.open({ tailLines: 10, logFile });
    first.write('first run\n');
    first.note('started pid 1');
    await first.close();
    const second = await StderrCapture.open({ tailLines: 10, logFile });
    second.write('second run');
    await second.close();

    const lines = (await readFile(logFile, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z first run$/);
    expect(lines[1]).toMatch(/Z \[mcp-manager\] started pid 1$/);
    expect(lines[2]).toMatch(/Z second run$/);
    expect(second.tail()).toEqual(['second run']);
  });

  it('reports a log file it cannot create and keeps capturing', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');
    const errors: Error[] = [];
    const capture = await StderrCapture.open({ tailLines: 10, logFile: join(blocker, 'sub', 'x.log'), onError: (e) => errors.push(e) });
    capture.write('still kept\n');
    await capture.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('a-file');
    expect(capture.tail()).toEqual(['still kept']);
  });
});
