import type { IncomingMessage } from 'node:http';

export type BodyResult = { kind: 'ok'; text: string } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Read a request body up to `limitBytes`. Beyond the limit the rest is read and discarded,
 * so the client still gets a clean 413 on a reusable connection; past `discardCapBytes`
 * the socket is cut instead.
 */
export function readBody(req: IncomingMessage, limitBytes: number, discardCapBytes = Math.max(64 * 1024 * 1024, limitBytes * 4)): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge = Number.isFinite(declared) && declared > limitBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge || size > limitBytes) {
        tooLarge = true;
        chunks.length = 0;
        if (size > discardCapBytes) {
          req.destroy();
          resolve({ kind: 'aborted' });
        }
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (tooLarge) resolve({ kind: 'too-large' });
      else resolve({ kind: 'ok', text: Buffer.concat(chunks, size).toString('utf8') });
    });
    req.once('error', () => resolve({ kind: 'aborted' }));
    req.once('close', () => resolve({ kind: 'aborted' }));
  });
}
