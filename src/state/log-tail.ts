import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const CHUNK_BYTES = 64 * 1024;

export interface LastLines {
  lines: string[];
  /** Byte offset the lines end at: where a follower continues. */
  end: number;
}

/**
 * The last `count` lines of `file` that end before byte `end` (default: the current size),
 * reading backwards in chunks so a large log costs only what is printed. Nothing before
 * byte `start` (default 0) is read: pass the size a file had earlier to see only what was
 * appended since.
 */
export async function readLastLines(file: string, count: number, options: { start?: number; end?: number } = {}): Promise<LastLines> {
  const handle = await open(file, 'r');
  try {
    const end = options.end ?? (await handle.stat()).size;
    const start = Math.min(options.start ?? 0, end);
    if (count <= 0 || end === start) return { lines: [], end };

    const chunks: Buffer[] = [];
    let position = end;
    let newlines = 0;
    // One newline more than `count` marks where the first wanted line begins.
    while (position > start && newlines <= count) {
      const size = Math.min(CHUNK_BYTES, position - start);
      position -= size;
      const chunk = Buffer.alloc(size);
      const { bytesRead } = await handle.read(chunk, 0, size, position);
      const got = chunk.subarray(0, bytesRead);
      for (const byte of got) if (byte === 0x0a) newlines++;
      chunks.unshift(got);
    }
    const lines = splitLines(Buffer.concat(chunks).toString('utf8'));
    return { lines: lines.slice(-count), end };
  } finally {
    await handle.close();
  }
}

/** Split on newlines; a trailing newline does not make an empty last line. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

export interface FollowOptions {
  /** Byte offset to continue from (usually `LastLines.end`). */
  from: number;
  signal: AbortSignal;
  onLines(lines: string[]): void;
  pollMs?: number;
  /**
   * How rotation names older files (`NAME.log.1` is the newest): lets a follower that
   * missed several rotations between two polls read the files in between too.
   */
  rotatedName?: (index: number) => string;
  /** How many rotated files to look through for those. Default 20. */
  maxRotated?: number;
}

/**
 * Print-as-it-grows: poll `file` and hand over each complete appended line until `signal`
 * aborts. The file stays open between polls, so when it is rotated (renamed, a new file
 * in its place) the rest of the old file is read first, then the new one from its start;
 * a file truncated in place is read again from its start. Resolves when aborted.
 */
export async function followFile(file: string, options: FollowOptions): Promise<void> {
  const pollMs = options.pollMs ?? 250;
  let position = options.from;
  let handle: FileHandle | null = null;
  let inode: number | null = null;
  let pending = '';
  let decoder = new TextDecoder('utf-8');

  const readToEnd = async (from: FileHandle) => {
    for (;;) {
      const chunk = Buffer.alloc(CHUNK_BYTES);
      const { bytesRead } = await from.read(chunk, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      pending += decoder.decode(chunk.subarray(0, bytesRead), { stream: true });
    }
    const cut = pending.lastIndexOf('\n');
    if (cut >= 0) {
      const lines = splitLines(pending.slice(0, cut + 1));
      pending = pending.slice(cut + 1);
      if (lines.length > 0 && !options.signal.aborted) options.onLines(lines);
    }
  };

  const flushPartial = () => {
    if (pending !== '' && !options.signal.aborted) options.onLines([pending]);
    pending = '';
    decoder = new TextDecoder('utf-8');
  };
  /** Rotated files newer than the one with inode `old`, oldest first (empty when unknown). */
  const rotatedSince = async (old: number | null): Promise<string[]> => {
    if (old === null || !options.rotatedName) return [];
    const newer: string[] = [];
    for (let index = 1; index <= (options.maxRotated ?? 20); index++) {
      const name = options.rotatedName(index);
      const info = await stat(name).catch(() => null);
      if (info === null) return [];
      if (info.ino === old) return newer.reverse();
      newer.push(name);
    }
    return [];
  };

  try {
    while (!options.signal.aborted) {
      if (handle === null) {
        handle = await open(file, 'r').catch(() => null);
        if (handle !== null) inode = (await handle.stat()).ino;
      }
      if (handle !== null) {
        const size = (await handle.stat()).size;
        if (size < position) {
          // truncated in place
          position = 0;
          pending = '';
        }
        await readToEnd(handle);
        const now = await stat(file).catch(() => null);
        if (now === null || now.ino !== inode) {
          // rotated or removed: what the old file got last is read above; the new one starts at 0
          await handle.close();
          handle = null;
          flushPartial();
          for (const missed of await rotatedSince(inode)) {
            const old = await open(missed, 'r').catch(() => null);
            if (old === null) continue;
            position = 0;
            try {
              await readToEnd(old);
            } finally {
              await old.close();
            }
            flushPartial();
          }
          position = 0;
          if (now !== null) continue;
        }
      }
      await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await handle?.close();
  }
}
