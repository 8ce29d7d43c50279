import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import { DEFAULT_SAMPLE_CAPACITY, RollingSamples } from './rolling-samples.js';

/** Reference: type-7 percentile on a sorted copy, written independently of the module. */
function referencePercentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const below = s[Math.floor(rank)]!;
  const above = s[Math.ceil(rank)]!;
  return below + (above - below) * (rank - Math.floor(rank));
}

const percent = fc.double({ min: 0, max: 100, noNaN: true });
const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

describe('RollingSamples', () => {
  it('defaults to the spec capacity of 100', () => {
    expect(new RollingSamples().capacity).toBe(DEFAULT_SAMPLE_CAPACITY);
    expect(DEFAULT_SAMPLE_CAPACITY).toBe(100);
  });

  it('reports undefined statistics while empty', () => {
    const r = new RollingSamples(4);
    expect([r.percentile(50), r.mean(), r.stdDev(), r.min(), r.max(), r.latest()]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(r.count).toBe(0);
  });

  it('matches a sorted-array reference for any percentile (property)', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 250 }), percent, (xs, p) => {
        const r = new RollingSamples(100);
        for (const x of xs) r.add(x);
        const window = xs.slice(-100);
        const got = r.percentile(p)!;
        const want = referencePercentile(window, p);
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
      }),
    );
  });

  it('gives exact p50/p90/p95/p99 on 1..100', () => {
    const r = new RollingSamples();
    for (let i = 100; i >= 1; i--) r.add(i);
    expect(r.percentiles([0, 50, 90, 95, 99, 100])).toEqual([1, 50.5, 90.1, 95.05, 99.01, 100]);
  });

  it('computes the population standard deviation', () => {
    const r = new RollingSamples(8);
    for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) r.add(x);
    expect(r.mean()).toBe(5);
    expect(r.stdDev()).toBe(2);
    expect(r.min()).toBe(2);
    expect(r.max()).toBe(9);
  });

  it('keeps only the newest samples when it wraps around', () => {
    const r = new RollingSamples(3);
    for (const x of [1, 2, 3, 4, 5]) r.add(x);
    expect(r.count).toBe(3);
    expect(r.values()).toEqual([3, 4, 5]);
    expect(r.latest()).toBe(5);
    expect(r.min()).toBe(3);
    expect(r.mean()).toBe(4);
    expect(r.percentile(50)).toBe(4);
  });

  it('matches the windowed values after any number of adds (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.array(finite, { maxLength: 40 }), (cap, xs) => {
        const r = new RollingSamples(cap);
        for (const x of xs) r.add(x);
        expect(r.values()).toEqual(xs.slice(-cap));
      }),
    );
  });

  it('does not disturb ring order when computing percentiles', () => {
    const r = new RollingSamples(4);
    for (const x of [9, 1, 5]) r.add(x);
    r.percentile(50);
    r.add(3);
    expect(r.values()).toEqual([9, 1, 5, 3]);
  });

  it('clears', () => {
    const r = new RollingSamples(2);
    r.add(1);
    r.add(2);
    r.clear();
    r.add(7);
    expect(r.values()).toEqual([7]);
  });

  it('rejects bad capacities, samples and percentiles with INVALID_ARGUMENT', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof MeshError ? e.code : 'other';
      }
      return 'none';
    };
    expect(codeOf(() => new RollingSamples(0))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new RollingSamples(2.5))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new RollingSamples().add(Number.NaN))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new RollingSamples().add(Infinity))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new RollingSamples().percentile(101))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new RollingSamples().percentile(-1))).toBe('INVALID_ARGUMENT');
  });
});
