import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { MeshError } from '../lib/errors.js';
import { OffsetEstimator } from './offset-estimator.js';
import type { SampleVerdict } from './offset-estimator.js';
import { agentTime, seededRandom, simulateExchange, trueOffset } from './sim.test-helper.js';
import type { SimClock, SimLeg } from './sim.test-helper.js';

const START = 1.75e12;

function feed(estimator: OffsetEstimator, clock: SimClock, legs: readonly SimLeg[]): SampleVerdict[] {
  return legs.map((leg) => {
    const outcome = estimator.addExchange(simulateExchange(leg, clock));
    if (!outcome.ok) throw outcome.error;
    return outcome.value.verdict;
  });
}

/** One heartbeat per `intervalMs`, each leg's delays drawn from [minMs, maxMs]. */
function randomLegs(count: number, opts: { seed: number; intervalMs: number; minMs: number; maxMs: number; from?: number }): SimLeg[] {
  const rand = seededRandom(opts.seed);
  const draw = () => opts.minMs + rand() * (opts.maxMs - opts.minMs);
  return Array.from({ length: count }, (_, i) => ({
    sendTrueMs: (opts.from ?? START) + i * opts.intervalMs,
    forwardMs: draw(),
    holdMs: 0.2,
    backMs: draw(),
  }));
}

const steady = (count: number, delayMs: number, from = START, intervalMs = 1000): SimLeg[] =>
  Array.from({ length: count }, (_, i) => ({ sendTrueMs: from + i * intervalMs, forwardMs: delayMs, holdMs: 0.2, backMs: delayMs }));

const newEstimator = (overrides: Partial<ConstructorParameters<typeof OffsetEstimator>[0]> = {}) =>
  new OffsetEstimator({ clock: new ManualClock(), ...overrides });

describe('OffsetEstimator: clock filter', () => {
  it('has no estimate and reports null before any sample', () => {
    const estimator = newEstimator();
    expect(estimator.hasEstimate).toBe(false);
    expect(estimator.report(0)).toBeNull();
    expect(estimator.confidence(0)).toBe(0);
    expect(estimator.offsetAt(123)).toBe(0);
  });

  it('reports the six wire fields in snake_case', () => {
    const estimator = newEstimator();
    const clock = { skewMs: 250, driftPpm: 0 };
    feed(estimator, clock, steady(1, 4));
    const report = estimator.report(agentTime(START + 10, clock));
    expect(Object.keys(report ?? {}).sort()).toEqual(['confidence', 'delay_ms', 'drift_ppm', 'error_bound_ms', 'offset_ms', 'samples']);
    expect(report?.offset_ms).toBeCloseTo(-250, 6);
    expect(report?.delay_ms).toBeCloseTo(8, 6);
    expect(report?.samples).toBe(1);
  });

  it('trusts the smallest-delay sample among asymmetric, delayed ones', () => {
    const estimator = newEstimator();
    const clock = { skewMs: -40, driftPpm: 0 };
    // Asymmetric legs pull the offset off by (fwd - back) / 2; the 1 ms symmetric leg does not.
    const legs: SimLeg[] = [
      { sendTrueMs: START, forwardMs: 6, holdMs: 1, backMs: 1 },
      { sendTrueMs: START + 1000, forwardMs: 1, holdMs: 1, backMs: 5 },
      { sendTrueMs: START + 2000, forwardMs: 1, holdMs: 1, backMs: 1 },
      { sendTrueMs: START + 3000, forwardMs: 4, holdMs: 1, backMs: 1.5 },
      { sendTrueMs: START + 4000, forwardMs: 1.5, holdMs: 1, backMs: 4 },
    ];
    const verdicts = feed(estimator, clock, legs);
    expect(verdicts[2]).toBe('reference');
    expect(verdicts[3]).toBe('accepted');
    const report = estimator.report(agentTime(START + 4000, clock));
    expect(report?.delay_ms).toBeCloseTo(2, 6);
    expect(report?.offset_ms).toBeCloseTo(40, 6);
  });

  it('takes the middle of the exchanges\' bounds: each direction\'s fastest trip counts, not one exchange\'s pair', () => {
    const estimator = newEstimator();
    const clock = { skewMs: 1_234, driftPpm: 0 };
    // No exchange is fast both ways: the smallest round trip (38 ms) is off by (30 - 8) / 2 = 11 ms.
    // Out, the fastest trip is 5 ms; back, 8 ms: the bounds leave the offset within (8 - 5) / 2.
    // (100 ms apart: the unmeasured drift, 100 ppm assumed, widens older bounds by only 0.01-0.02 ms.)
    const legs: SimLeg[] = [
      { sendTrueMs: START, forwardMs: 40, holdMs: 0.5, backMs: 20 },
      { sendTrueMs: START + 100, forwardMs: 5, holdMs: 0.5, backMs: 35 },
      { sendTrueMs: START + 200, forwardMs: 30, holdMs: 0.5, backMs: 8 },
    ];
    feed(estimator, clock, legs);
    const at = START + 250;
    expect(estimator.offsetAt(agentTime(at, clock)) - trueOffset(at, clock)).toBeCloseTo((5 - 8) / 2, 1);
    // The reference (its delay and the error bound) is still the smallest round trip.
    expect(estimator.report(agentTime(at, clock))?.delay_ms).toBeCloseTo(38, 6);
    // toLocal stays the exact inverse of the offset.
    const local = estimator.localAt(at);
    expect(local + estimator.offsetAt(local)).toBeCloseTo(at, 6);
  });

  it('keeps popcorn spikes out of the offset even when they outlast the window, but counts them as jitter', () => {
    const estimator = newEstimator();
    const clock = { skewMs: 900, driftPpm: 0 };
    feed(estimator, clock, steady(8, 2));
    const jitterBefore = estimator.jitterMs();
    // 12 spikes (window is 8) with wildly asymmetric paths: 150-260 ms out, 5 ms back.
    const spikes = Array.from({ length: 12 }, (_, i) => ({ sendTrueMs: START + 8000 + i * 1000, forwardMs: 150 + i * 10, holdMs: 0.2, backMs: 5 }));
    const verdicts = feed(estimator, clock, spikes);
    expect(verdicts.every((v) => v === 'spike')).toBe(true);
    const report = estimator.report(agentTime(START + 20_000, clock));
    expect(report?.offset_ms).toBeCloseTo(-900, 6);
    expect(report?.delay_ms).toBeCloseTo(4, 6);
    expect(jitterBefore).toBe(0);
    expect(estimator.jitterMs()).toBeGreaterThan(20);
  });

  it('adopts a lasting move to a slower path once the fast path leaves the delay history', () => {
    // An 8-sample filter: the old fast sample is flushed after 8 (with the default 32 it takes 32).
    const estimator = newEstimator({ delayHistory: 16, windowSize: 8 });
    const clock = { skewMs: 77, driftPpm: 0 };
    feed(estimator, clock, steady(16, 1));
    const slower = feed(estimator, clock, steady(24, 25, START + 16_000));
    // 16 spikes until the fast delays leave the history, then 8 more to flush the filter.
    expect(slower.slice(0, 16).every((v) => v === 'spike')).toBe(true);
    expect(slower.slice(16, 23).every((v) => v === 'accepted')).toBe(true);
    expect(slower[23]).toBe('reference');
    expect(estimator.report(START + 40_000)?.delay_ms).toBeCloseTo(50, 6);
  });

  it('leaves the estimate untouched when an exchange is refused', () => {
    const estimator = newEstimator();
    feed(estimator, { skewMs: 5, driftPpm: 0 }, steady(3, 2));
    const before = estimator.report(START + 3000);
    const result = estimator.addExchange({ t1: 10, t2: 5, t3: 4, t4: 20 });
    expect(result.ok).toBe(false);
    expect(estimator.report(START + 3000)).toEqual(before);
  });

  it('throws INVALID_ARGUMENT for nonsense options', () => {
    expect(() => newEstimator({ windowSize: 0 })).toThrow(MeshError);
    try {
      newEstimator({ maxDriftPpm: -1 });
      expect.unreachable();
    } catch (e) {
      expect(e instanceof MeshError && e.code).toBe('INVALID_ARGUMENT');
      expect(e instanceof MeshError && e.path).toBe('maxDriftPpm');
    }
  });
});

describe('OffsetEstimator: drift', () => {
  it.each([100, -73, 12.5])('measures a %d ppm clock within 3 ppm over ten minutes of noisy heartbeats', (ppm) => {
    const estimator = newEstimator();
    const clock = { skewMs: 4321.5, driftPpm: ppm };
    feed(estimator, clock, randomLegs(600, { seed: 7, intervalMs: 1000, minMs: 1, maxMs: 15 }));
    expect(estimator.driftPpm).toBeDefined();
    expect(Math.abs((estimator.driftPpm ?? 0) - ppm)).toBeLessThan(3);
    // The extrapolated offset stays inside its own error bound, well after the last sample.
    for (const later of [0, 5_000, 30_000]) {
      const trueNow = START + 600_000 + later;
      const local = agentTime(trueNow, clock);
      const error = Math.abs(estimator.offsetAt(local) - trueOffset(trueNow, clock));
      expect(error).toBeLessThanOrEqual(estimator.errorBoundAt(local));
    }
  });

  it('extrapolates better with the drift than the bare reference offset would', () => {
    const estimator = newEstimator();
    const clock = { skewMs: 0, driftPpm: 200 };
    feed(estimator, clock, randomLegs(300, { seed: 3, intervalMs: 1000, minMs: 0.5, maxMs: 3 }));
    const trueNow = START + 300_000 + 60_000;
    const local = agentTime(trueNow, clock);
    const withDrift = Math.abs(estimator.offsetAt(local) - trueOffset(trueNow, clock));
    const report = estimator.report(local);
    expect(withDrift).toBeLessThan(2);
    // Without drift the last minute alone would cost 200 ppm * 60 s = 12 ms.
    expect(report?.drift_ppm).toBeGreaterThan(190);
  });

  it('does not claim a drift before the history spans enough time', () => {
    // Two drift points suffice here, so the 30 s span is what holds the estimate back.
    const estimator = newEstimator({ minDriftPoints: 2 });
    const clock = { skewMs: 0, driftPpm: 50 };
    feed(estimator, clock, randomLegs(24, { seed: 1, intervalMs: 1000, minMs: 1, maxMs: 4 }));
    expect(estimator.driftPpm).toBeUndefined();
    expect(estimator.report(START + 24_000)?.drift_ppm).toBe(0);
    feed(estimator, clock, randomLegs(24, { seed: 2, intervalMs: 1000, minMs: 1, maxMs: 4, from: START + 24_000 }));
    expect(estimator.driftPpm).toBeDefined();
  });

  it('clamps an absurd drift to the configured bound', () => {
    const estimator = newEstimator({ maxDriftPpm: 300 });
    feed(estimator, { skewMs: 0, driftPpm: 2000 }, steady(120, 1));
    expect(estimator.driftPpm).toBe(300);
  });
});

describe('OffsetEstimator: steps', () => {
  it('restarts from the new offset after consecutive low-delay samples disagree', () => {
    const estimator = newEstimator();
    const before = { skewMs: 0, driftPpm: 30 };
    feed(estimator, before, randomLegs(120, { seed: 11, intervalMs: 1000, minMs: 1, maxMs: 3 }));
    expect(estimator.driftPpm).toBeDefined();
    // Someone ran `date -s`: the agent clock jumps 1.5 s ahead.
    const after = { skewMs: 1500, driftPpm: 30 };
    const verdicts = feed(estimator, after, randomLegs(6, { seed: 12, intervalMs: 1000, minMs: 1, maxMs: 3, from: START + 120_000 }));
    expect(verdicts.slice(0, 4)).toEqual(['suspect', 'suspect', 'suspect', 'step']);
    expect(verdicts.slice(4).every((v) => v === 'reference' || v === 'accepted')).toBe(true);
    expect(estimator.steps).toBe(1);
    expect(estimator.driftPpm).toBeUndefined();
    const trueNow = START + 126_000;
    const local = agentTime(trueNow, after);
    expect(Math.abs(estimator.offsetAt(local) - trueOffset(trueNow, after))).toBeLessThan(2);
  });

  it('ignores a lone outlier instead of resetting', () => {
    const estimator = newEstimator();
    const clock = { skewMs: 0, driftPpm: 0 };
    feed(estimator, clock, steady(10, 2));
    const outlier = feed(estimator, { skewMs: 800, driftPpm: 0 }, steady(1, 2, START + 10_000));
    const next = feed(estimator, clock, steady(3, 2, START + 11_000));
    expect(outlier).toEqual(['suspect']);
    expect(next).toEqual(['reference', 'reference', 'reference']);
    expect(estimator.steps).toBe(0);
    expect(estimator.offsetAt(START + 14_000)).toBeCloseTo(0, 6);
  });

  it('does not take scattered disagreements on both sides for a step', () => {
    const estimator = newEstimator();
    feed(estimator, { skewMs: 0, driftPpm: 0 }, steady(10, 2));
    // Heartbeats 5 s apart, so local time still runs forwards across the +-600 ms swings.
    const skews = [600, -600, 600, -600, 600, -600];
    const verdicts = skews.flatMap((skewMs, i) => feed(estimator, { skewMs, driftPpm: 0 }, steady(1, 2, START + 10_000 + i * 5000)));
    expect(verdicts.every((v) => v === 'suspect')).toBe(true);
    expect(estimator.steps).toBe(0);
  });

  it('restarts at once when local time runs backwards between samples', () => {
    const estimator = newEstimator();
    feed(estimator, { skewMs: 0, driftPpm: 0 }, steady(5, 2));
    const verdicts = feed(estimator, { skewMs: -60_000, driftPpm: 0 }, steady(1, 2, START + 5000));
    expect(verdicts).toEqual(['step']);
    expect(estimator.steps).toBe(1);
    expect(estimator.offsetAt(START - 55_000)).toBeCloseTo(60_000, 6);
  });
});

describe('OffsetEstimator: confidence', () => {
  const clock = { skewMs: 0, driftPpm: 0 };

  it('rises with the number of samples in the filter', () => {
    const estimator = newEstimator();
    const values = steady(8, 1).map((leg) => {
      feed(estimator, clock, [leg]);
      return estimator.confidence(START + 8000);
    });
    for (let i = 1; i < values.length; i += 1) expect(values[i]).toBeGreaterThan(values[i - 1]!);
  });

  it('falls with delay jitter, the smallest delay being equal', () => {
    const calm = newEstimator();
    const jittery = newEstimator();
    feed(calm, clock, steady(8, 1));
    feed(jittery, clock, steady(8, 1).map((leg, i) => (i % 2 === 0 ? leg : { ...leg, forwardMs: 1 + i, backMs: 1 + i })));
    expect(jittery.report(START + 8000)?.delay_ms).toBe(calm.report(START + 8000)?.delay_ms);
    expect(jittery.confidence(START + 8000)).toBeLessThan(calm.confidence(START + 8000));
  });

  it('falls with the error bound (a longer path)', () => {
    const near = newEstimator();
    const far = newEstimator();
    feed(near, clock, steady(8, 1));
    feed(far, clock, steady(8, 20));
    expect(far.confidence(START + 8000)).toBeLessThan(near.confidence(START + 8000));
  });

  it('falls as the last sample ages, and faster once it is overdue', () => {
    const estimator = newEstimator();
    feed(estimator, clock, steady(8, 1));
    const at = (ageMs: number) => estimator.confidence(START + 7000 + ageMs);
    expect(at(0)).toBeGreaterThan(at(5_000));
    expect(at(5_000)).toBeGreaterThan(at(60_000));
    expect(at(60_000)).toBeGreaterThan(at(600_000));
    expect(at(5_000) - at(60_000)).toBeGreaterThan(0.2);
  });

  it('stays within [0, 1] whatever the exchanges', () => {
    const leg = fc.record({ forwardMs: fc.double({ min: 0, max: 1000, noNaN: true }), backMs: fc.double({ min: 0, max: 1000, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(leg, { minLength: 1, maxLength: 30 }), fc.double({ min: 0, max: 1e7, noNaN: true }), (legs, later) => {
        const estimator = newEstimator();
        feed(estimator, clock, legs.map((l, i) => ({ ...l, holdMs: 0, sendTrueMs: START + i * 1000 })));
        const c = estimator.confidence(START + legs.length * 1000 + later);
        expect(c).toBeGreaterThanOrEqual(0);
        expect(c).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('uses the injected clock when no time is given', () => {
    const local = new ManualClock(START + 8000);
    const estimator = new OffsetEstimator({ clock: local });
    feed(estimator, clock, steady(8, 1));
    const fresh = estimator.confidence();
    local.advance(300_000);
    expect(estimator.confidence()).toBeLessThan(fresh);
    expect(estimator.report()?.confidence).toBe(estimator.confidence());
  });
});
