import { describe, expect, it } from 'vitest';
import { OpenBackoff } from './open-backoff.js';

describe('OpenBackoff', () => {
  it('doubles from the first delay up to the cap, with the draw moving each by at most a fifth', () => {
    const middle = new OpenBackoff({ firstMs: 100, capMs: 1_000, random: () => 0.5 });
    expect([1, 2, 3, 4, 5, 6].map(() => middle.failed())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(middle.attempts).toBe(6);
    const low = new OpenBackoff({ firstMs: 100, capMs: 1_000, random: () => 0 });
    expect(low.failed()).toBe(80);
    const high = new OpenBackoff({ firstMs: 100, capMs: 1_000, random: () => 0.999_999 });
    expect(high.failed()).toBe(120);
  });

  it('starts over after a success', () => {
    const backoff = new OpenBackoff({ firstMs: 100, capMs: 1_000, random: () => 0.5 });
    backoff.failed();
    backoff.failed();
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.failed()).toBe(100);
  });
});
