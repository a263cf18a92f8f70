import { describe, expect, it } from 'vitest';
import { HEALTH_DEFAULTS } from '../../src/health/defaults.js';
import { reachabilityTask, resolveSettings } from '../../src/health/settings.js';
import { serverConfig } from './helpers.js';

describe('resolveSettings', () => {
  it('takes the defaults, the interval from the config, the limits from the config', () => {
    const settings = resolveSettings(serverConfig('s', { healthCheckIntervalMs: 30_000, maxMemoryBytes: 300e6, maxCpuPercent: 90 }));
    expect(settings).toMatchObject({
      intervalMs: 30_000,
      pingTimeoutMs: HEALTH_DEFAULTS.pingTimeoutMs,
      slowPingMs: HEALTH_DEFAULTS.slowPingMs,
      wedgedAfterTimeouts: 2,
      cpuLimitSamples: 3,
      maxMemoryBytes: 300e6,
      maxCpuPercent: 90,
      probes: [],
    });
  });

  it('caps ping and probe deadlines at the interval and ignores nonsense overrides', () => {
    const settings = resolveSettings(serverConfig('s', { healthCheckIntervalMs: 200 }), {
      pingTimeoutMs: 150,
      probeTimeoutMs: 10_000,
      slowPingMs: -1,
      wedgedAfterTimeouts: Number.NaN,
    });
    expect(settings).toMatchObject({
      pingTimeoutMs: 150,
      probeTimeoutMs: 200,
      slowPingMs: HEALTH_DEFAULTS.slowPingMs,
      wedgedAfterTimeouts: 2,
    });
  });

  it('keeps a zero interval from spinning', () => {
    expect(resolveSettings(serverConfig('s', { healthCheckIntervalMs: 0 })).intervalMs).toBe(30_000);
    expect(resolveSettings(serverConfig('s', { healthCheckIntervalMs: 1 })).intervalMs).toBe(50);
  });
});

describe('reachabilityTask', () => {
  const remote = (connectionType: 'http' | 'sse' | 'websocket' | 'tcp' | 'stdio', url?: string) =>
    reachabilityTask(serverConfig('r', { connectionType, ...(url === undefined ? {} : { url }), headers: { 'x-key': 'k' } }), 900);

  it('http and sse: an HTTP probe with the headers', () => {
    expect(remote('http', 'https://mcp.example/mcp')).toEqual({
      kind: 'http',
      url: 'https://mcp.example/mcp',
      headers: { 'x-key': 'k' },
      timeoutMs: 900,
    });
    expect(remote('sse', 'http://127.0.0.1:8080/sse')).toMatchObject({ kind: 'http', url: 'http://127.0.0.1:8080/sse' });
  });

  it('websocket and tcp: a TCP connect, default ports from the scheme', () => {
    expect(remote('websocket', 'wss://mcp.example/ws')).toEqual({ kind: 'tcp', host: 'mcp.example', port: 443, timeoutMs: 900 });
    expect(remote('websocket', 'ws://127.0.0.1:7000/ws')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 7000, timeoutMs: 900 });
    expect(remote('tcp', 'tcp://[::1]:9000')).toEqual({ kind: 'tcp', host: '::1', port: 9000, timeoutMs: 900 });
  });

  it('none for stdio or without a url; a bad url becomes a probe that reports it', () => {
    expect(remote('stdio')).toBeUndefined();
    expect(remote('http')).toBeUndefined();
    expect(remote('websocket', 'not a url')).toEqual({ kind: 'http', url: 'not a url', timeoutMs: 900 });
  });
});
