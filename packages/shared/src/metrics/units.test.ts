import { describe, expect, it } from 'vitest';
import { ARRIVAL_ERROR_BUCKETS_S, EVENT_LOOP_DELAY_BUCKETS_S, REQUEST_DURATION_BUCKETS_S, sampleOf, secondsFromMs } from './units.js';

describe('metric units', () => {
  it('converts milliseconds to seconds and readings to sample values', () => {
    expect(secondsFromMs(1_500)).toBe(1.5);
    expect(sampleOf(21.5)).toBe(21.5);
    expect(sampleOf(true)).toBe(1);
    expect(sampleOf(false)).toBe(0);
    expect(sampleOf('open')).toBeUndefined();
    expect(sampleOf(Number.NaN)).toBeUndefined();
  });

  it('has increasing bucket bounds in seconds', () => {
    for (const buckets of [ARRIVAL_ERROR_BUCKETS_S, EVENT_LOOP_DELAY_BUCKETS_S, REQUEST_DURATION_BUCKETS_S]) {
      expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
      expect(buckets[buckets.length - 1]).toBeLessThanOrEqual(5);
    }
  });
});
