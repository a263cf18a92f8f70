/**
 * A 2026-07-28 upstream's `tools/call` result as the forwarding path gives it to a 2025-era
 * client (src/gateway/forward.ts `legacyView`): decoded as the SDK client decodes that era's
 * results, refusals included.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolErrorCode, SdkError, SdkErrorCode } from '@modelcontextprotocol/server';
import { legacyView } from '../../src/gateway/forward.js';
import { toWireError } from '../../src/gateway/wire-errors.js';

const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

describe('a 2026-07-28 result for a 2025 client', () => {
  it('a complete result loses its resultType and keeps everything else', () => {
    const result = {
      resultType: 'complete',
      content: [{ type: 'text', text: 'x' }],
      isError: true,
      _meta: { [SERVER_INFO]: { name: 'up', version: '1' } },
    };
    expect(legacyView(result)).toBeUndefined();
    expect(result).toEqual({
      content: [{ type: 'text', text: 'x' }],
      isError: true,
      _meta: { [SERVER_INFO]: { name: 'up', version: '1' } },
    });
  });

  it('a result the SDK client would refuse becomes its error, an internal error on the wire', () => {
    const missing = legacyView({ content: [] });
    expect(missing).toBeInstanceOf(SdkError);
    expect(missing).toMatchObject({
      code: SdkErrorCode.InvalidResult,
      message: expect.stringContaining('missing required resultType') as unknown,
    });

    const asking = legacyView({ resultType: 'input_required', inputRequests: { a: { method: 'elicitation/create', params: {} } } });
    expect(asking).toMatchObject({ code: SdkErrorCode.InvalidResult, message: expect.stringContaining('input_required') as unknown });

    const unknown = legacyView({ resultType: 'later', content: [] });
    expect(unknown).toMatchObject({ code: SdkErrorCode.UnsupportedResultType, message: expect.stringContaining('"later"') as unknown });

    for (const error of [missing, asking, unknown]) expect(toWireError(error).code).toBe(ProtocolErrorCode.InternalError);
  });
});
