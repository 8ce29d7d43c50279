import { describe, expect, it } from 'vitest';
import { quantile, summarize } from './percentiles.js';

describe('summarize', () => {
  it('reports interpolated quantiles, extremes and mean', () => {
    const summary = summarize([5, 1, 4, 2, 3]);
    expect(summary).toMatchObject({ count: 5, min: 1, p50: 3, max: 5, mean: 3 });
    expect(summary.p90).toBeCloseTo(4.6);
  });

  it('is NaN for no samples rather than throwing', () => {
    expect(summarize([]).p50).toBeNaN();
    expect(quantile([], 0.5)).toBeNaN();
  });
});
