import { afterEach, describe, expect, it, vi } from 'vitest';
import { settledWithin } from '../src/wait.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('settledWithin', () => {
  it("gives the promise's value and leaves no timer behind once the promise wins", async () => {
    vi.useFakeTimers();
    let resolve!: (value: string) => void;
    const raced = settledWithin(new Promise<string>((r) => (resolve = r)), 60_000);
    expect(vi.getTimerCount()).toBe(1);
    resolve('done');
    await expect(raced).resolves.toBe('done');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives undefined once the time is up, and the rejection of a promise that fails first', async () => {
    vi.useFakeTimers();
    const late = settledWithin(new Promise<string>(() => undefined), 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(late).resolves.toBeUndefined();
    const failed = settledWithin(Promise.reject(new Error('gone')), 1_000);
    await expect(failed).rejects.toThrow('gone');
    expect(vi.getTimerCount()).toBe(0);
  });
});
