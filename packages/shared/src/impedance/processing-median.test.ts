import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLASS_BASE_MS, conditionFactor } from './class-prior.js';
import { DEFAULT_MEDIAN_MIN_SAMPLES, DEFAULT_MEDIAN_PRIOR_WEIGHT, DEFAULT_MEDIAN_WINDOW, medianOf, ProcessingMedian } from './processing-median.js';

const positive = fc.double({ min: 0.01, max: 10_000, noNaN: true, noDefaultInfinity: true });

describe('medianOf', () => {
  it('is the middle value of an odd sample and the mean of the two middle ones of an even one', () => {
    expect(medianOf([5, 1, 9])).toBe(5);
    expect(medianOf([4, 1, 9, 2])).toBe(3);
  });

  it('has as many values at or below it as at or above it, and lies within the sample', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 60 }), (values) => {
        const m = medianOf(values);
        expect(values.filter((v) => v <= m).length * 2).toBeGreaterThanOrEqual(values.length);
        expect(values.filter((v) => v >= m).length * 2).toBeGreaterThanOrEqual(values.length);
        expect(m).toBeGreaterThanOrEqual(Math.min(...values));
        expect(m).toBeLessThanOrEqual(Math.max(...values));
      }),
    );
  });

  it('refuses an empty sample', () => {
    expect(() => medianOf([])).toThrow(/median of no values/);
  });
});

describe('ProcessingMedian', () => {
  it('answers the class prior, scaled to the conditions, before any sample', () => {
    const median = new ProcessingMedian('E');
    expect(median.predict()).toEqual({ medianMs: CLASS_BASE_MS.E, samples: 0, source: 'fallback' });
    expect(median.predict({ payloadWeight: 2, queueDepth: 1 }).medianMs).toBeCloseTo(CLASS_BASE_MS.E * conditionFactor(2, 1), 9);
    // The caller's fallback (the estimator's blend) wins over the bare class prior.
    expect(median.predict({}, 120)).toEqual({ medianMs: 120, samples: 0, source: 'fallback' });
  });

  it('below the minimum, blends the median of the samples it has with the fallback, weighted by count', () => {
    const median = new ProcessingMedian('E');
    median.record(40);
    // One sample against a fallback worth DEFAULT_MEDIAN_PRIOR_WEIGHT (1) sample: halfway.
    expect(median.predict({}, 120)).toEqual({ medianMs: 80, samples: 1, source: 'blended' });
    for (let i = 2; i < DEFAULT_MEDIAN_MIN_SAMPLES; i++) median.record(40);
    const n = DEFAULT_MEDIAN_MIN_SAMPLES - 1;
    const blended = median.predict({}, 120);
    expect(blended.source).toBe('blended');
    expect(blended.medianMs).toBeCloseTo((n * 40 + DEFAULT_MEDIAN_PRIOR_WEIGHT * 120) / (n + DEFAULT_MEDIAN_PRIOR_WEIGHT), 9);
    // Without a caller's figure the class prior is what it blends with, scaled to the conditions.
    expect(median.predict({ payloadWeight: 2 }).medianMs).toBeCloseTo(((n * 40 + CLASS_BASE_MS.E) / (n + 1)) * conditionFactor(2, 0), 9);
    median.record(40);
    expect(median.predict({}, 120)).toEqual({ medianMs: 40, samples: DEFAULT_MEDIAN_MIN_SAMPLES, source: 'learned' });
  });

  it('moves from the fallback toward the samples as they come, never past either (property)', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: DEFAULT_MEDIAN_MIN_SAMPLES - 1 }), positive, fc.double({ min: 0, max: 10, noNaN: true }), (values, fallback, priorWeight) => {
        const median = new ProcessingMedian('C', { priorWeight });
        for (const v of values) median.record(v);
        const predicted = median.predict({}, fallback).medianMs;
        const learned = medianOf(values);
        expect(predicted).toBeGreaterThanOrEqual(Math.min(learned, fallback) * (1 - 1e-12));
        expect(predicted).toBeLessThanOrEqual(Math.max(learned, fallback) * (1 + 1e-12));
        // Its distance to the samples' median is the fallback's share of the weight.
        const share = priorWeight / (values.length + priorWeight);
        expect(Math.abs(predicted - learned)).toBeCloseTo(share * Math.abs(fallback - learned), 6);
      }),
    );
  });

  it('refuses a negative prior weight, naming the field', () => {
    expect(() => new ProcessingMedian('A', { priorWeight: -1 })).toThrow(/priorWeight/);
  });

  it('ignores a rare spike that would drag a mean far off', () => {
    const median = new ProcessingMedian('A');
    for (let i = 0; i < 20; i++) median.record(i === 7 ? 5_000 : 10 + (i % 3));
    expect(median.predict().medianMs).toBe(11);
  });

  it('stores samples on the base scale: a sample under load answers an unloaded question by its base', () => {
    const median = new ProcessingMedian('C', { minSamples: 1 });
    median.record(300, { payloadWeight: 1 }); // factor 1.5: base 200
    expect(median.predict().medianMs).toBeCloseTo(200, 9);
    expect(median.predict({ queueDepth: 5 }).medianMs).toBeCloseTo(300, 9);
  });

  it('keeps only the newest window of samples: it follows a change of speed', () => {
    const median = new ProcessingMedian('B');
    for (let i = 0; i < DEFAULT_MEDIAN_WINDOW; i++) median.record(50);
    for (let i = 0; i < (DEFAULT_MEDIAN_WINDOW >> 1) + 1; i++) median.record(90);
    expect(median.samples()).toBe(DEFAULT_MEDIAN_WINDOW);
    expect(median.predict().medianMs).toBe(90);
  });

  it('equals the median of the last window samples, whatever they are (property)', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 40 }), (values, window) => {
        const median = new ProcessingMedian('D', { window, minSamples: 1 });
        for (const v of values) median.record(v);
        expect(median.predict().medianMs).toBe(medianOf(values.slice(-window)));
      }),
    );
  });

  it('is not moved by how large a minority of outliers is (property)', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 11, maxLength: 11 }), positive, positive, (body, a, b) => {
        const m1 = new ProcessingMedian('E', { window: 15, minSamples: 1 });
        const m2 = new ProcessingMedian('E', { window: 15, minSamples: 1 });
        const top = Math.max(...body);
        // Two outliers above every body value, of any size: the median does not care how far above.
        for (const v of [...body, top + a, top + a]) m1.record(v);
        for (const v of [...body, top + b * 1_000, top + b]) m2.record(v);
        expect(m1.predict().medianMs).toBe(m2.predict().medianMs);
      }),
    );
  });

  it('keeps each verb apart: a quick verb (observe) does not pull down a slow one (act), and an unseen verb falls back', () => {
    const median = new ProcessingMedian('E', { minSamples: 3 });
    for (let i = 0; i < 10; i++) {
      median.record(200, { verb: 'act' });
      median.record(5, { verb: 'observe' });
    }
    expect(median.predict({ verb: 'act' }).medianMs).toBe(200);
    expect(median.predict({ verb: 'observe' }).medianMs).toBe(5);
    expect(median.samples('act')).toBe(10);
    expect(median.predict({ verb: 'sync' }, 77)).toEqual({ medianMs: 77, samples: 0, source: 'fallback' });
  });

  it('survives a snapshot round trip: same predictions, samples oldest first after the ring wrapped', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 40 }), fc.array(positive, { maxLength: 12 }), (acts, observes) => {
        const median = new ProcessingMedian('C', { window: 7, minSamples: 3 });
        for (const ms of acts) median.record(ms, { verb: 'act' });
        for (const ms of observes) median.record(ms);
        const snapshot = median.toJSON();
        expect(snapshot.windows.act).toEqual(acts.slice(-7));
        const restored = ProcessingMedian.fromJSON('C', JSON.parse(JSON.stringify(snapshot)) as typeof snapshot, { window: 7, minSamples: 3 });
        expect(restored.predict({ verb: 'act' }, 1)).toEqual(median.predict({ verb: 'act' }, 1));
        expect(restored.predict({}, 1)).toEqual(median.predict({}, 1));
        // A smaller window after the restart keeps the newest samples.
        expect(ProcessingMedian.fromJSON('C', snapshot, { window: 3, minSamples: 1 }).toJSON().windows.act).toEqual(acts.slice(-3));
      }),
    );
  });

  it('refuses a bad sample and bad options with the field named', () => {
    const median = new ProcessingMedian('E');
    expect(() => median.record(-1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', path: 'ms' }));
    expect(() => median.record(Number.NaN)).toThrow(expect.objectContaining({ path: 'ms' }));
    expect(() => new ProcessingMedian('E', { window: 0 })).toThrow(expect.objectContaining({ path: 'window' }));
    expect(() => new ProcessingMedian('E', { window: 5, minSamples: 6 })).toThrow(expect.objectContaining({ path: 'minSamples' }));
  });
});
