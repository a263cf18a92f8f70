/**
 * The input bridge on its own: a call's requests to the client become input_required
 * rounds whose handle is signed, bound and expiring.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MissingRequiredClientCapabilityError, ProtocolError, type ServerContext } from '@modelcontextprotocol/server';
import pino from 'pino';
import { InputBridge, type BackendAsk, type Round } from '../../src/gateway/modern/input-bridge.js';

const logger = pino({ level: 'silent' });
const ctx = (method = 'tools/call', clientId?: string) =>
  ({
    mcpReq: { method },
    ...(clientId === undefined ? {} : { http: { authInfo: { clientId, token: 't', scopes: [] } } }),
  }) as unknown as ServerContext;
const ELICIT: BackendAsk = {
  method: 'elicitation/create',
  params: { message: 'name?', requestedSchema: { type: 'object', properties: {} } },
};
const first = (capabilities: Round['capabilities'] = { elicitation: {} }, signal = new AbortController().signal): Round => ({
  signal,
  capabilities,
  state: undefined,
  responses: undefined,
});

interface InputRequired {
  resultType: 'input_required';
  inputRequests: Record<string, { method: string }>;
  requestState: string;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('input bridge', () => {
  it('a call that asks nothing returns its result', async () => {
    const bridge = new InputBridge({ logger });
    await expect(bridge.run(first(), ctx(), () => Promise.resolve('done'))).resolves.toBe('done');
    expect(bridge.waiting).toBe(0);
  });

  it('an ask becomes input_required; the retry answers it and the same call goes on', async () => {
    const bridge = new InputBridge({ logger });
    let starts = 0;
    const start = async (ask: (r: BackendAsk) => Promise<unknown>) => {
      starts++;
      const answer = (await ask(ELICIT)) as { content: { name: string } };
      const again = (await ask(ELICIT)) as { content: { name: string } };
      return `${answer.content.name}+${again.content.name}`;
    };
    const round1 = (await bridge.run(first(), ctx(), start)) as InputRequired;
    expect(round1.resultType).toBe('input_required');
    const [key1] = Object.keys(round1.inputRequests);
    expect(round1.inputRequests[key1!]!.method).toBe('elicitation/create');
    expect(bridge.waiting).toBe(1);

    const state1 = await bridge.verify(round1.requestState, ctx());
    const round2 = (await bridge.run(
      { ...first(), state: state1, responses: { [key1!]: { action: 'accept', content: { name: 'a' } } } },
      ctx(),
      start,
    )) as InputRequired;
    expect(round2.resultType).toBe('input_required');
    const [key2] = Object.keys(round2.inputRequests);

    const state2 = await bridge.verify(round2.requestState, ctx());
    const result = await bridge.run(
      { ...first(), state: state2, responses: { [key2!]: { action: 'accept', content: { name: 'b' } } } },
      ctx(),
      start,
    );
    expect(result).toBe('a+b');
    expect(starts).toBe(1);
    expect(bridge.waiting).toBe(0);
    // a handle already answered refers to nothing any more
    await expect(bridge.run({ ...first(), state: state1, responses: { [key1!]: {} } }, ctx(), start)).rejects.toBeInstanceOf(ProtocolError);
  });

  it("a forged, altered, foreign-bound or other process's requestState is refused", async () => {
    const bridge = new InputBridge({ logger });
    const round = (await bridge.run(first(), ctx('tools/call', 'alice'), (ask) => ask(ELICIT))) as InputRequired;
    const state = round.requestState;
    await expect(bridge.verify('v1.eyJwIjp7ImYiOiJ4IiwiciI6MX19.AAAA', ctx())).rejects.toThrow();
    const [version, body, mac] = state.split('.');
    const altered = `${version}.${body!.slice(0, -2)}${body!.endsWith('A') ? 'B' : 'A'}${body!.slice(-1)}.${mac}`;
    await expect(bridge.verify(altered, ctx('tools/call', 'alice'))).rejects.toThrow();
    await expect(bridge.verify(state, ctx('tools/call', 'mallory'))).rejects.toThrow();
    await expect(bridge.verify(state, ctx('prompts/get', 'alice'))).rejects.toThrow();
    await expect(new InputBridge({ logger }).verify(state, ctx('tools/call', 'alice'))).rejects.toThrow();
    await expect(bridge.verify(state, ctx('tools/call', 'alice'))).resolves.toBeDefined();
    bridge.close();
  });

  it('an unanswered round expires: the handle is refused, the upstream ask fails and the call is cancelled', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const bridge = new InputBridge({ logger, ttlMs: 5_000 });
    let upstreamError: unknown;
    let callSignal: AbortSignal | undefined;
    const round = (await bridge.run(first(), ctx(), async (ask, signal) => {
      callSignal = signal;
      try {
        return await ask(ELICIT);
      } catch (error) {
        upstreamError = error;
        throw error;
      }
    })) as InputRequired;
    const state = await bridge.verify(round.requestState, ctx());
    await vi.advanceTimersByTimeAsync(6_000);
    expect(bridge.waiting).toBe(0);
    expect(callSignal?.aborted).toBe(true);
    expect(upstreamError).toBeInstanceOf(ProtocolError);
    await expect(bridge.verify(round.requestState, ctx())).rejects.toThrow(/expired/);
    // even a handle verified before expiry finds nothing waiting
    await expect(bridge.run({ ...first(), state, responses: {} }, ctx(), () => Promise.resolve(1))).rejects.toThrow(/no call waiting/);
  });

  it('a client without the capability gets the spec error, and the upstream ask fails at once', async () => {
    const bridge = new InputBridge({ logger });
    let upstreamError: unknown;
    let callSignal: AbortSignal | undefined;
    const run = bridge.run(first({}), ctx(), async (ask, signal) => {
      callSignal = signal;
      try {
        return await ask({ method: 'sampling/createMessage', params: {} });
      } catch (error) {
        upstreamError = error;
        throw error;
      }
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingRequiredClientCapabilityError);
    expect((error as MissingRequiredClientCapabilityError).requiredCapabilities).toEqual({ sampling: {} });
    expect(upstreamError).toBeInstanceOf(ProtocolError);
    expect(callSignal?.aborted).toBe(true);
    expect(bridge.waiting).toBe(0);
  });

  it('the client going away while a round waits cancels the call', async () => {
    const bridge = new InputBridge({ logger });
    const client = new AbortController();
    let callSignal: AbortSignal | undefined;
    let release: () => void = () => undefined;
    const run = bridge.run(first({ elicitation: {} }, client.signal), ctx(), (_ask, signal) => {
      callSignal = signal;
      return new Promise((resolve, reject) => {
        release = () => resolve('late');
        signal.addEventListener('abort', () => reject(signal.reason as Error));
      });
    });
    client.abort();
    await expect(run).rejects.toThrow(/cancelled/);
    expect(callSignal?.aborted).toBe(true);
    release();
  });
});
