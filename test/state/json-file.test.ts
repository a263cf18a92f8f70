import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coalescedWriter } from '../../src/state/json-file.js';
import { shortTempDir } from '../control/helpers.js';

describe('coalesced state-file writes', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
  });
  afterEach(() => cleanup());

  const read = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

  it('coalesces a burst of changes and ends with the latest content', async () => {
    const file = join(dir, 'a.json');
    let value = 0;
    const errors: unknown[] = [];
    const writer = coalescedWriter(
      file,
      () => ({ value }),
      (e) => errors.push(e),
    );
    for (value = 1; value <= 50; value++) writer.schedule();
    value = 50;
    await writer.flush();
    expect(read(file)).toEqual({ value: 50 });
    expect(errors).toEqual([]);
  });

  it('a synchronous write made while an older write is in flight is not undone by it', async () => {
    const file = join(dir, 'b.json');
    let value = 1;
    const writer = coalescedWriter(
      file,
      () => ({ value }),
      (e) => {
        throw e;
      },
    );
    writer.schedule(); // value 1 is being written
    value = 2;
    writer.schedule();
    writer.flushSync(); // value 2 is on disk now
    expect(read(file)).toEqual({ value: 2 });
    // the older write lands after it; the newest content must be what stays
    await writer.flush();
    expect(read(file)).toEqual({ value: 2 });
  });
});
