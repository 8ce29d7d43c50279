import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

const options = { minMs: 500, maxMs: 30_000, jitterMs: 1_000 };

describe('backoffDelay', () => {
  it('grows with the outage, between the floor and the cap', () => {
    const noJitter = (): number => 0;
    expect(backoffDelay(0, options, noJitter)).toBe(500);
    expect(backoffDelay(10_000, options, noJitter)).toBe(5_000);
    expect(backoffDelay(3_600_000, options, noJitter)).toBe(30_000);
  });

  it('adds up to jitterMs at random, so a fleet spreads out', () => {
    expect(backoffDelay(0, options, () => 0.999)).toBe(1_499);
    const draws = new Set(Array.from({ length: 50 }, () => backoffDelay(0, options)));
    expect(draws.size).toBeGreaterThan(10);
  });
});
