import { ManualClock } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { SkewedClock } from './skewed-clock.js';

describe('SkewedClock', () => {
  it('is off by the offset at the anchor and drifts at the given rate', () => {
    const base = new ManualClock(1_000_000);
    const clock = new SkewedClock(base, { offsetMs: 2_500, driftPpm: 100 });
    expect(clock.now()).toBe(1_002_500);
    base.advance(10_000);
    // 10 s at +100 ppm gains 1 ms.
    expect(clock.now()).toBeCloseTo(1_012_501, 9);
  });

  it('maps its readings back to the base clock exactly', () => {
    const clock = new SkewedClock(new ManualClock(5_000), { offsetMs: -7_000, driftPpm: -40, anchorMs: 0 });
    for (const base of [0, 1_234.5, 9e8]) expect(clock.toBase(clock.fromBase(base))).toBeCloseTo(base, 6);
  });

  it('refuses a drift no crystal has', () => {
    expect(() => new SkewedClock(new ManualClock(), { offsetMs: 0, driftPpm: 5_000 })).toThrow(/driftPpm/);
  });
});
