import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../lib/errors.js';
import type { MeshMode } from '../protocol/enums.js';
import { MODE_RECOVERY_MARGIN, MODE_THRESHOLDS, activeRate, modeForActiveRate, modeRank, nextMode } from './modes.js';

describe('modeForActiveRate', () => {
  it.each<[number, MeshMode]>([
    [1, 'FULL'],
    [0.95, 'FULL'],
    [0.9499999, 'DEGRADED_LIGHT'],
    [0.8, 'DEGRADED_LIGHT'],
    [0.7999999, 'DEGRADED_MODERATE'],
    [0.6, 'DEGRADED_MODERATE'],
    [0.5999999, 'DEGRADED_SEVERE'],
    [0.3, 'DEGRADED_SEVERE'],
    [0.2999999, 'EMERGENCY'],
    [0, 'EMERGENCY'],
  ])('rate %s -> %s', (rate, mode) => {
    expect(modeForActiveRate(rate)).toBe(mode);
  });

  it('puts exact counts on the boundary in the better mode', () => {
    expect(modeForActiveRate(activeRate(95, 100))).toBe('FULL');
    expect(modeForActiveRate(activeRate(80, 100))).toBe('DEGRADED_LIGHT');
    expect(modeForActiveRate(activeRate(60, 100))).toBe('DEGRADED_MODERATE');
    expect(modeForActiveRate(activeRate(30, 100))).toBe('DEGRADED_SEVERE');
    expect(modeForActiveRate(activeRate(28_499, 30_000))).toBe('DEGRADED_LIGHT');
  });

  it('treats an empty registry as rate 0 and rejects impossible counts', () => {
    expect(activeRate(0, 0)).toBe(0);
    expect(() => activeRate(5, 4)).toThrow(MeshError);
    expect(() => activeRate(-1, 4)).toThrow(MeshError);
    expect(() => modeForActiveRate(1.2)).toThrow(MeshError);
    expect(() => modeForActiveRate(Number.NaN)).toThrow(MeshError);
  });

  it('accepts overridden thresholds and rejects unordered ones', () => {
    expect(modeForActiveRate(0.9, { thresholds: { FULL: 0.9 } })).toBe('FULL');
    expect(() => modeForActiveRate(0.9, { thresholds: { DEGRADED_SEVERE: 0.7 } })).toThrow(MeshError);
  });

  it('exports the spec thresholds', () => {
    expect(MODE_THRESHOLDS).toEqual({ FULL: 0.95, DEGRADED_LIGHT: 0.8, DEGRADED_MODERATE: 0.6, DEGRADED_SEVERE: 0.3 });
  });
});

describe('nextMode hysteresis', () => {
  it('worsens at once but improves only past threshold + margin', () => {
    expect(nextMode('FULL', 0.9499)).toBe('DEGRADED_LIGHT');
    expect(nextMode('DEGRADED_LIGHT', 0.95)).toBe('DEGRADED_LIGHT');
    expect(nextMode('DEGRADED_LIGHT', 0.965)).toBe('DEGRADED_LIGHT');
    expect(nextMode('DEGRADED_LIGHT', 0.975)).toBe('FULL');
  });

  it('improves several steps at once when the rate clears them, else as far as it clears', () => {
    expect(nextMode('EMERGENCY', 1)).toBe('FULL');
    expect(nextMode('EMERGENCY', 0.61)).toBe('DEGRADED_SEVERE');
    expect(nextMode('EMERGENCY', 0.63)).toBe('DEGRADED_MODERATE');
  });

  it('caps threshold + margin at 1 so FULL stays reachable', () => {
    expect(nextMode('DEGRADED_LIGHT', 1, { recoveryMargin: 0.1 })).toBe('FULL');
    expect(nextMode('DEGRADED_LIGHT', 0.99, { recoveryMargin: 0.1 })).toBe('DEGRADED_LIGHT');
  });

  it('does not flap on a boundary', () => {
    let mode: MeshMode = 'FULL';
    let changes = 0;
    for (const rate of [0.949, 0.951, 0.949, 0.955, 0.94, 0.96, 0.95, 0.949]) {
      const next = nextMode(mode, rate);
      if (next !== mode) changes++;
      mode = next;
    }
    expect(changes).toBe(1);
    expect(mode).toBe('DEGRADED_LIGHT');
  });

  it('property: never better than the plain mode, equal to it when worse, and idempotent', () => {
    const mode = fc.constantFrom<MeshMode>('FULL', 'DEGRADED_LIGHT', 'DEGRADED_MODERATE', 'DEGRADED_SEVERE', 'EMERGENCY');
    const rate = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(mode, rate, (current, r) => {
        const plain = modeForActiveRate(r);
        const next = nextMode(current, r);
        expect(modeRank(next)).toBeGreaterThanOrEqual(modeRank(plain));
        if (modeRank(plain) >= modeRank(current)) expect(next).toBe(plain);
        else expect(modeRank(next)).toBeLessThanOrEqual(modeRank(current));
        expect(nextMode(next, r)).toBe(next);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: rates wobbling less than the margin around a threshold change the mode at most once', () => {
    const threshold = fc.constantFrom(0.95, 0.8, 0.6, 0.3);
    const wobble = fc.double({ min: -MODE_RECOVERY_MARGIN / 2, max: MODE_RECOVERY_MARGIN / 2, noNaN: true });
    fc.assert(
      fc.property(threshold, fc.array(wobble, { minLength: 1, maxLength: 50 }), (t, ws) => {
        let mode = modeForActiveRate(t + ws[0]!);
        let changes = 0;
        for (const w of ws) {
          const next = nextMode(mode, t + w);
          if (next !== mode) changes++;
          mode = next;
        }
        expect(changes).toBeLessThanOrEqual(1);
      }),
      { numRuns: 1000 },
    );
  });
});
