import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import {
  DEFAULT_HALF_SCORE_DELAY_MS,
  delayForScore,
  driftCoefficient,
  expectedDelayMs,
  impedanceScore,
} from './impedance-score.js';

const ms = fc.double({ min: 0, max: 1e7, noNaN: true });
const depth = fc.integer({ min: 0, max: 1_000_000 });
const inputs = fc.record({ latencyMs: ms, processingMs: ms, queueDepth: depth });

describe('impedanceScore', () => {
  it('stays within [0, 1000] (property)', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const s = impedanceScore(i);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1000);
      }),
    );
  });

  it('never decreases when any one input grows (property)', () => {
    fc.assert(
      fc.property(inputs, ms, depth, fc.constantFrom('latencyMs', 'processingMs', 'queueDepth'), (i, dMs, dQ, key) => {
        const bigger = { ...i, [key]: i[key] + (key === 'queueDepth' ? dQ : dMs) };
        expect(impedanceScore(bigger)).toBeGreaterThanOrEqual(impedanceScore(i));
      }),
    );
  });

  it('strictly increases with latency in the useful range', () => {
    const base = { processingMs: 100, queueDepth: 1 };
    expect(impedanceScore({ ...base, latencyMs: 51 })).toBeGreaterThan(impedanceScore({ ...base, latencyMs: 50 }));
  });

  it('maps the documented landmarks: 0 -> 0, H -> 500, 4H -> 800 (degraded), 9H -> 900', () => {
    const at = (d: number) => impedanceScore({ latencyMs: d, processingMs: 0, queueDepth: 0 });
    expect(at(0)).toBe(0);
    expect(at(DEFAULT_HALF_SCORE_DELAY_MS)).toBeCloseTo(500, 9);
    expect(at(2000)).toBeCloseTo(800, 9);
    expect(at(4500)).toBeCloseTo(900, 9);
    expect(at(Infinity)).toBe(1000);
    expect(delayForScore(800)).toBeCloseTo(2000, 9);
    expect(delayForScore(1000)).toBe(Infinity);
  });

  it('uses the spec queue factor: delay = latency + processing x (1 + 0.1 queue)', () => {
    expect(expectedDelayMs({ latencyMs: 20, processingMs: 100, queueDepth: 5 })).toBe(170);
    expect(expectedDelayMs({ latencyMs: 20, processingMs: 0, queueDepth: Infinity })).toBe(20);
  });

  it('honours a custom half-score delay', () => {
    const score = impedanceScore({ latencyMs: 100, processingMs: 0, queueDepth: 0 }, { halfScoreDelayMs: 100 });
    expect(score).toBeCloseTo(500, 9);
  });

  it('treats negative inputs as 0 and rejects NaN', () => {
    expect(impedanceScore({ latencyMs: -5, processingMs: -1, queueDepth: -2 })).toBe(0);
    expect(() => impedanceScore({ latencyMs: Number.NaN, processingMs: 0, queueDepth: 0 })).toThrow(MeshError);
    expect(() => impedanceScore({ latencyMs: 1, processingMs: 0, queueDepth: 0 }, { halfScoreDelayMs: 0 })).toThrow(
      MeshError,
    );
    expect(() => delayForScore(1001)).toThrow(MeshError);
  });
});

describe('driftCoefficient', () => {
  it('is stddev / mean', () => {
    expect(driftCoefficient(100, 50)).toBe(0.5);
    expect(driftCoefficient(10, 7)).toBeCloseTo(0.7, 12);
  });

  it('is 0 without data, without spread or with a zero mean', () => {
    expect(driftCoefficient(undefined, undefined)).toBe(0);
    expect(driftCoefficient(100, 0)).toBe(0);
    expect(driftCoefficient(0, 3)).toBe(0);
  });
});
