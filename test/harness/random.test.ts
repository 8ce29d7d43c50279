import { describe, expect, it } from 'vitest';
import { deriveSeed, mulberry32 } from './random.js';

const draws = (seed: number, count: number): number[] => {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => random());
};

describe('mulberry32', () => {
  it('replays the same sequence for the same seed', () => {
    expect(draws(42, 100)).toEqual(draws(42, 100));
    expect(draws(42, 100)).not.toEqual(draws(43, 100));
  });

  it('stays in [0, 1) with a mean near one half', () => {
    const values = draws(7, 20_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
  });
});

describe('deriveSeed', () => {
  it('gives distinct, order-sensitive seeds per stream', () => {
    const seeds = new Set([deriveSeed(1, 0, 0), deriveSeed(1, 0, 1), deriveSeed(1, 1, 0), deriveSeed(2, 0, 0)]);
    expect(seeds.size).toBe(4);
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 1));
    expect(deriveSeed(1, 2)).toBe(deriveSeed(1, 2));
  });
});
