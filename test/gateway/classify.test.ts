/**
 * The kept verdicts of the SDK's classifier (src/gateway/modern/classify.ts): whatever the
 * order of requests, each verdict is the one the SDK's classifier gives that request.
 */
import { describe, expect, it } from 'vitest';
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { RequestClassifier, type ClassifyHeaders } from '../../src/gateway/modern/classify.js';

const MODERN = '2026-07-28';
const envelope = (version = MODERN, capabilities: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': capabilities,
});
const call = (id: number | string, meta: unknown, method = 'tools/call') => ({
  jsonrpc: '2.0',
  id,
  method,
  params: { name: 'echo', arguments: { text: String(id) }, ...(meta === undefined ? {} : { _meta: meta }) },
});
const headers = (version?: string, method?: string): ClassifyHeaders => ({
  ...(version === undefined ? {} : { protocolVersionHeader: version }),
  ...(method === undefined ? {} : { mcpMethodHeader: method }),
});

/** Requests in an order where each kind of difference follows a request whose verdict was kept. */
const CASES: [string, unknown, ClassifyHeaders][] = [
  ['modern call', call(1, envelope()), headers(MODERN, 'tools/call')],
  ['the same envelope again, another id and arguments', call('x', envelope()), headers(MODERN, 'tools/call')],
  ['the same envelope, the version header disagreeing', call(2, envelope()), headers('2025-11-25', 'tools/call')],
  ['the same envelope, the method header disagreeing', call(3, envelope()), headers(MODERN, 'tools/list')],
  ['the same envelope, no headers (stdio)', call(4, envelope()), {}],
  ['the same envelope, another method', call(5, envelope(), 'tools/list'), headers(MODERN, 'tools/list')],
  ['an envelope naming an unknown version', call(6, envelope('2099-01-01')), headers('2099-01-01', 'tools/call')],
  ['an envelope without client info', call(7, { 'io.modelcontextprotocol/protocolVersion': MODERN }), headers(MODERN, 'tools/call')],
  ['no envelope', call(8, undefined), headers(MODERN, 'tools/call')],
  [
    'initialize with the envelope',
    { jsonrpc: '2.0', id: 9, method: 'initialize', params: { _meta: envelope() } },
    headers(MODERN, 'initialize'),
  ],
  [
    'a notification with the envelope',
    { jsonrpc: '2.0', method: 'notifications/cancelled', params: { _meta: envelope() } },
    headers(MODERN),
  ],
  ['a batch', [call(10, envelope())], headers(MODERN, 'tools/call')],
  ['capabilities declared', call(11, envelope(MODERN, { elicitation: {} })), headers(MODERN, 'tools/call')],
  ['the first envelope once more', call(12, envelope()), headers(MODERN, 'tools/call')],
];

describe('RequestClassifier', () => {
  it("gives the SDK classifier's verdict on every request, kept or not", () => {
    const classifier = new RequestClassifier();
    for (let round = 0; round < 2; round++) {
      for (const [what, body, given] of CASES) {
        const expected = classifyInboundRequest({ httpMethod: 'POST', ...given, body });
        expect(classifier.classify(body, given), `${what} (round ${round + 1})`).toEqual(expected);
      }
    }
  });
});
