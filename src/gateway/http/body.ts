import type { IncomingMessage } from 'node:http';

export type BodyResult = { kind: 'ok'; text: string } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Read a request body up to `limitBytes`. A body whose Content-Length is over the limit is
 * refused before a byte of it is read, one without a length (chunked) as soon as it passes
 * the limit: the caller answers 413 at once. What the client still sends is discarded, not
 * kept, so it reads the 413 on a reusable connection instead of a broken pipe; past
 * `discardCapBytes` the connection is cut.
 */
export function readBody(
  req: IncomingMessage,
  limitBytes: number,
  discardCapBytes = Math.max(64 * 1024 * 1024, limitBytes * 4),
): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    discardRest(req, 0, discardCapBytes);
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off('data', onData);
        chunks.length = 0;
        discardRest(req, size, discardCapBytes);
        resolve({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ kind: 'ok', text: Buffer.concat(chunks, size).toString('utf8') }));
    req.once('error', () => resolve({ kind: 'aborted' }));
    req.once('close', () => resolve({ kind: 'aborted' }));
  });
}

/** Drop the rest of a refused body as it arrives; cut the connection past `capBytes`. */
function discardRest(req: IncomingMessage, seenBytes: number, capBytes: number): void {
  let seen = seenBytes;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > capBytes) req.destroy();
  });
  req.on('error', () => undefined);
}
