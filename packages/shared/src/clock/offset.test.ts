import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeOffset } from './offset.js';
import { simulateExchange, trueOffset } from './sim.test-helper.js';

const ms = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

describe('computeOffset', () => {
  it('recovers the true offset exactly when both directions take the same time', () => {
    fc.assert(
      fc.property(ms(0, 1e7), ms(-1e6, 1e6), ms(0, 500), ms(0, 200), (start, skew, oneWay, hold) => {
        const clock = { skewMs: skew, driftPpm: 0 };
        const ts = simulateExchange({ sendTrueMs: start, forwardMs: oneWay, holdMs: hold, backMs: oneWay }, clock);
        const result = computeOffset(ts);
        if (!result.ok) throw result.error;
        expect(Math.abs(result.value.offsetMs - trueOffset(start, clock))).toBeLessThan(1e-6);
        expect(Math.abs(result.value.delayMs - 2 * oneWay)).toBeLessThan(1e-6);
      }),
    );
  });

  it('is off by exactly half the asymmetry when the paths differ, within delay / 2', () => {
    fc.assert(
      fc.property(ms(0, 1e7), ms(-1e6, 1e6), ms(0, 500), ms(0, 500), ms(0, 200), (start, skew, fwd, back, hold) => {
        const clock = { skewMs: skew, driftPpm: 0 };
        const ts = simulateExchange({ sendTrueMs: start, forwardMs: fwd, holdMs: hold, backMs: back }, clock);
        const result = computeOffset(ts);
        if (!result.ok) throw result.error;
        const error = result.value.offsetMs - trueOffset(start, clock);
        expect(Math.abs(error - (fwd - back) / 2)).toBeLessThan(1e-6);
        expect(Math.abs(error)).toBeLessThanOrEqual(result.value.delayMs / 2 + 1e-6);
      }),
    );
  });

  it('stays sub-microsecond at epoch-scale timestamps', () => {
    const clock = { skewMs: -1234.5678, driftPpm: 0 };
    const ts = simulateExchange({ sendTrueMs: 1.75e12, forwardMs: 3.25, holdMs: 0.4, backMs: 3.25 }, clock);
    const result = computeOffset(ts);
    expect(result.ok && Math.abs(result.value.offsetMs - 1234.5678)).toBeLessThan(1e-3);
  });

  it('gives the midpoint of t1 and t4 as the local instant and t4 as the receipt', () => {
    const result = computeOffset({ t1: 1000, t2: 1505, t3: 1507, t4: 1020 });
    expect(result).toEqual({ ok: true, value: { offsetMs: 496, delayMs: 18, localMidMs: 1010, receivedAtMs: 1020 } });
  });

  it.each([
    ['t1', { t1: Number.NaN, t2: 1, t3: 2, t4: 3 }],
    ['t3', { t1: 0, t2: 1, t3: Infinity, t4: 3 }],
    ['t4', { t1: 10, t2: 11, t3: 12, t4: 9 }],
    ['t3', { t1: 0, t2: 12, t3: 11, t4: 20 }],
    ['t3', { t1: 0, t2: 100, t3: 130, t4: 20 }],
  ])('refuses a bad exchange, naming %s', (path, ts) => {
    const result = computeOffset(ts);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_ARGUMENT');
      expect(result.error.path).toBe(path);
    }
  });

  it('accepts a zero delay that rounding pushed a hair below zero', () => {
    const result = computeOffset({ t1: 0.1, t2: 5, t3: 5.2, t4: 0.30000000000000004 - 1e-12 });
    expect(result.ok && result.value.delayMs).toBe(0);
  });
});
