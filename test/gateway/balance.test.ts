import { describe, expect, it } from 'vitest';
import { BALANCERS, type Candidate } from '../../src/gateway/balance.js';

const c = (instance: string, load = 0, preferred = true): Candidate => ({ instance, load, preferred });

// the contract every strategy keeps
describe.each(Object.entries(BALANCERS))('balancer contract: %s', (_name, create) => {
  it('returns undefined when no instance can take the request', () => {
    expect(create().pick([])).toBeUndefined();
  });

  it('always returns one of the candidates', () => {
    const b = create();
    const pool = [c('a#1', 2), c('a#2', 0), c('a#3', 1)];
    for (let i = 0; i < 20; i++) expect(pool).toContain(b.pick(pool));
  });

  it('uses a non-preferred instance only when no preferred one is there', () => {
    const b = create();
    for (let i = 0; i < 10; i++) expect(b.pick([c('deg', 0, false), c('ok', 3, true)])?.instance).toBe('ok');
    expect(b.pick([c('deg', 0, false)])?.instance).toBe('deg');
  });

  it('spreads equal instances over all of them', () => {
    const b = create();
    const pool = [c('a#1'), c('a#2'), c('a#3')];
    const seen = new Set(Array.from({ length: 6 }, () => b.pick(pool)!.instance));
    expect(seen.size).toBe(3);
  });
});

describe('strategies', () => {
  it('round_robin cycles in order', () => {
    const b = BALANCERS.round_robin();
    const pool = [c('x'), c('y')];
    expect([1, 2, 3, 4].map(() => b.pick(pool)!.instance)).toEqual(['x', 'y', 'x', 'y']);
  });

  it('least_loaded picks the least busy instance', () => {
    const b = BALANCERS.least_loaded();
    expect(b.pick([c('x', 3), c('y', 1), c('z', 2)])!.instance).toBe('y');
  });
});
