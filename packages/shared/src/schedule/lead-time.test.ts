import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferFor, feasibleLeadTimeFor, holdLeadTimeFor, invalidTimingField, leadTimeFor, leadTimeIn, medianLeadTimeFor } from './lead-time.js';
import { agent, timingFields } from './timing.test-helper.js';

describe('bufferFor', () => {
  it.each([
    [0.5, 10],
    [1, 5],
    [0, 15],
  ])('is 2 * sqrt(3^2 + 4^2) * (1.5 - %s) = %s ms for jitter 3 and spread 4', (confidence, expected) => {
    expect(bufferFor(agent('a', { jitterMs: 3, processingSpreadMs: 4, confidence }))).toBeCloseTo(expected, 9);
  });

  it('never drops below the floor', () => {
    expect(bufferFor(agent('a'))).toBe(2);
    expect(bufferFor(agent('a'), { bufferFloorMs: 7 })).toBe(7);
  });

  it('grows with jitter and spread and shrinks with confidence', () => {
    fc.assert(
      fc.property(timingFields, fc.double({ min: 0, max: 50, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (f, extra, conf) => {
        const base = { agentId: 'a', ...f };
        expect(bufferFor({ ...base, jitterMs: f.jitterMs + extra })).toBeGreaterThanOrEqual(bufferFor(base));
        expect(bufferFor({ ...base, processingSpreadMs: f.processingSpreadMs + extra })).toBeGreaterThanOrEqual(bufferFor(base));
        const lo = Math.min(conf, f.confidence);
        const hi = Math.max(conf, f.confidence);
        expect(bufferFor({ ...base, confidence: hi })).toBeLessThanOrEqual(bufferFor({ ...base, confidence: lo }));
      }),
    );
  });
});

describe('leadTimeFor', () => {
  it('adds one-way delay, processing and buffer', () => {
    expect(leadTimeFor(agent('a', { oneWayDelayMs: 12, expectedProcessingMs: 150, jitterMs: 3, processingSpreadMs: 4, confidence: 0.5 }))).toEqual({
      oneWayDelayMs: 12,
      expectedProcessingMs: 150,
      bufferMs: 10,
      leadTimeMs: 172,
    });
  });
});

describe('invalidTimingField', () => {
  it.each([
    ['agentId', { agentId: '' }],
    ['oneWayDelayMs', { oneWayDelayMs: -1 }],
    ['jitterMs', { jitterMs: Number.NaN }],
    ['expectedProcessingMs', { expectedProcessingMs: Infinity }],
    ['confidence', { confidence: 1.2 }],
    ['supportedModes', { supportedModes: ['lead', 'teleport'] as never }],
  ])('names %s', (field, over) => {
    expect(invalidTimingField(agent('a', over))).toBe(field);
  });

  it('accepts a sound record', () => {
    expect(invalidTimingField(agent('a'))).toBeUndefined();
  });
});

describe('medianLeadTimeFor (lead mode)', () => {
  it('is the median one-way delay plus the median processing, with no buffer', () => {
    const timing = agent('a', { oneWayDelayMs: 12, expectedProcessingMs: 160, medianProcessingMs: 148, jitterMs: 9, processingSpreadMs: 40, confidence: 0 });
    expect(medianLeadTimeFor(timing)).toEqual({ oneWayDelayMs: 12, expectedProcessingMs: 148, bufferMs: 0, leadTimeMs: 160 });
    expect(leadTimeIn('lead', timing)).toEqual(medianLeadTimeFor(timing));
    expect(feasibleLeadTimeFor('lead', timing)).toEqual(medianLeadTimeFor(timing));
    // The other modes keep their own sizing.
    expect(feasibleLeadTimeFor('none', timing)).toEqual(leadTimeFor(timing));
  });

  it('falls back to the expected processing without a median', () => {
    expect(medianLeadTimeFor(agent('a', { oneWayDelayMs: 3, expectedProcessingMs: 50 })).leadTimeMs).toBe(53);
  });

  it('never asks for more lead than the buffered mean when the median is at most the mean, and ignores spread and confidence (property)', () => {
    fc.assert(
      fc.property(timingFields, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (f, share, conf) => {
        const timing = { agentId: 'a', ...f, medianProcessingMs: f.expectedProcessingMs * share };
        expect(medianLeadTimeFor(timing).leadTimeMs).toBeLessThanOrEqual(leadTimeFor(timing).leadTimeMs);
        const other = { ...timing, jitterMs: f.jitterMs * 3 + 1, processingSpreadMs: f.processingSpreadMs + 5, confidence: conf };
        expect(medianLeadTimeFor(other)).toEqual(medianLeadTimeFor(timing));
      }),
    );
  });

  it('names a bad median as the unusable field', () => {
    expect(invalidTimingField(agent('a', { medianProcessingMs: -1 }))).toBe('medianProcessingMs');
    expect(invalidTimingField(agent('a', { medianProcessingMs: Number.NaN }))).toBe('medianProcessingMs');
  });
});

describe('holdLeadTimeFor (hold mode)', () => {
  it('never gives less room than the buffered expectation (property)', () => {
    fc.assert(
      fc.property(timingFields, (f) => {
        const timing = { agentId: 'a', ...f };
        expect(holdLeadTimeFor(timing).leadTimeMs).toBeGreaterThanOrEqual(leadTimeFor(timing).leadTimeMs);
      }),
    );
  });

  it('gives at least the buffered total exactly, not one rounding below it', () => {
    // Found by the property above (seed 1851074620): the total rebuilt from its parts was 1 ulp short.
    const timing = agent('a', { oneWayDelayMs: 0, jitterMs: 99.99748396500918, expectedProcessingMs: 0, processingSpreadMs: 754.3073361242726, confidence: 0.9603798431635677 });
    expect(holdLeadTimeFor(timing).leadTimeMs).toBeGreaterThanOrEqual(leadTimeFor(timing).leadTimeMs);
  });

  it('covers a processing spread even when the mean is zero', () => {
    // Found by the schedule property: the log-normal tail of a zero mean is zero, while the
    // buffered expectation grows with the spread.
    const timing = agent('a', { oneWayDelayMs: 0, jitterMs: 0, expectedProcessingMs: 0, processingSpreadMs: 0.667, confidence: 0 });
    const hold = holdLeadTimeFor(timing);
    expect(hold.leadTimeMs).toBe(leadTimeFor(timing).leadTimeMs);
    expect(hold.leadTimeMs).toBeGreaterThan(2);
  });
});
