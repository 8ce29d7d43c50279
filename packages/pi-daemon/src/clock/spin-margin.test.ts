import { describe, expect, it } from 'vitest';
import { AdaptiveSpinMargin, DEFAULT_SPIN_MARGIN, spinMarginFor } from './spin-margin.js';

const options = { ...DEFAULT_SPIN_MARGIN, initialMs: 3, minMs: 1, maxMs: 12, window: 8, minSamples: 4, quantile: 0.75, headroomMs: 0.5 };

describe('spinMarginFor (the rule)', () => {
  it('keeps the starting margin until enough samples exist', () => {
    expect(spinMarginFor([], options)).toBe(3);
    expect(spinMarginFor([9, 9, 9], options)).toBe(3);
  });

  it('covers the chosen quantile of recent lateness plus headroom', () => {
    // Sorted [0.2, 0.4, 2, 5]: the 75th percentile by rank is 2.
    expect(spinMarginFor([5, 0.2, 2, 0.4], options)).toBeCloseTo(2.5, 9);
  });

  it('stays within its bounds: never below the floor on a quiet loop, never above the ceiling on a stalled one', () => {
    expect(spinMarginFor([0, 0, 0, 0, 0], options)).toBe(1);
    expect(spinMarginFor([40, 50, 60, 70], options)).toBe(12);
  });

  it('reads an early wake as zero lateness and ignores samples that are not numbers', () => {
    expect(spinMarginFor([-3, -1, -2, -0.5, Number.NaN, Number.POSITIVE_INFINITY], options)).toBe(1);
  });
});

describe('AdaptiveSpinMargin', () => {
  it('follows the measured lateness up and back down as old samples age out of the window', () => {
    const margin = new AdaptiveSpinMargin(options);
    expect(margin.marginMs).toBe(3);
    for (let i = 0; i < 8; i++) margin.observe(6);
    expect(margin.marginMs).toBeCloseTo(6.5, 9);
    // A quiet loop again: after a window of small samples the spikes are gone.
    for (let i = 0; i < 8; i++) margin.observe(0.3);
    expect(margin.marginMs).toBe(1);
    expect(margin.sampleCount).toBe(8);
  });

  it('a fixed margin never moves', () => {
    const margin = AdaptiveSpinMargin.fixed(3);
    for (let i = 0; i < 100; i++) margin.observe(50);
    expect(margin.marginMs).toBe(3);
  });
});
