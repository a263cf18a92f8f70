import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { parseSize } from '../../src/config/size.js';

describe('parseDuration', () => {
  it.each([
    [30, 30_000],
    [0.5, 500],
    [0, 0],
    ['30', 30_000],
    ['0.5', 500],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    [' 2S ', 2_000],
    ['1.5s', 1_500],
    [0.7, 700],
  ])('%j → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['abc', '', '5 minutes', '-5s', '1d', 's', true, null, [], {}, Number.NaN, Number.POSITIVE_INFINITY])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it('parses negative numbers so the range check can name them', () => {
    expect(parseDuration(-5)).toBe(-5_000);
  });

  it('formats for messages', () => {
    expect([formatDuration(500), formatDuration(1_500), formatDuration(120_000), formatDuration(7_200_000)]).toEqual([
      '500ms',
      '1.5s',
      '2m',
      '2h',
    ]);
  });
});

describe('parseSize', () => {
  it.each([
    [1024, 1024],
    ['1024', 1024],
    ['512KB', 512_000],
    ['300MB', 300_000_000],
    ['1GB', 1e9],
    ['1KiB', 1024],
    ['300MiB', 300 * 2 ** 20],
    ['1GiB', 2 ** 30],
    ['1.5 GiB', 1.5 * 2 ** 30],
    ['10b', 10],
    ['2tib', 2 * 2 ** 40],
  ])('%j → %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['12 parsecs', 'MB', '', '-1MB', -1, true, null, '1e3'])('rejects %j', (input) => {
    expect(parseSize(input)).toBeUndefined();
  });
});
