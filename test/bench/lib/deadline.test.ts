import { describe, expect, it } from 'vitest';
import { benchDeadline, msLeft } from './deadline.js';

describe('bench deadline', () => {
  it('is the runner\'s kill time, or none when run alone', () => {
    expect(benchDeadline({ MESH_BENCH_DEADLINE: '5000' })).toBe(5_000);
    expect(benchDeadline({})).toBe(Number.POSITIVE_INFINITY);
    expect(benchDeadline({ MESH_BENCH_DEADLINE: 'soon' })).toBe(Number.POSITIVE_INFINITY);
  });

  it('leaves a reserve for stopping and writing', () => {
    expect(msLeft(10_000, 2_000, 5_000)).toBe(3_000);
    expect(msLeft(Number.POSITIVE_INFINITY, 2_000)).toBe(Number.POSITIVE_INFINITY);
  });
});
