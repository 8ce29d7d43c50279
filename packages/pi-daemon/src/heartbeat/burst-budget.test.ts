import { describe, expect, it } from 'vitest';
import { BurstBudget } from './burst-budget.js';

describe('burst budget', () => {
  it('lets a full bucket of fast beats go, then refills at its rate, never past its size', () => {
    let now = 0;
    const budget = new BurstBudget({ perSecond: 10, capacity: 3, now: () => now });
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, true, false]);
    now += 100; // one token
    expect([budget.take(), budget.take()]).toEqual([true, false]);
    now += 60_000; // refills to the cap, not 600
    expect(Array.from({ length: 5 }, () => budget.take()).filter(Boolean)).toHaveLength(3);
    expect(budget.refused).toBe(4);
  });

  it('keeps a fleet that boots together to its cap: fast beats over 10 s of 5,000 agents asking', () => {
    let now = 0;
    // 5,000 agents at 5 s beat 1,000 times a second; the burst may add as much again.
    const budget = new BurstBudget({ perSecond: 1_000, capacity: 1_000, now: () => now });
    let fast = 0;
    for (let ms = 0; ms < 10_000; ms += 10) {
      now = ms;
      // Each agent in its burst asks every 500 ms: 10,000 asks a second.
      for (let i = 0; i < 100; i++) if (budget.take()) fast++;
    }
    expect(fast).toBeLessThanOrEqual(1_000 + 10 * 1_000);
    expect(fast).toBeGreaterThan(9_000);
  });
});
