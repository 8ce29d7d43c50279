import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { MeshError } from '../lib/errors.js';
import { HEALTH_EVENTS } from './events.js';
import { HealthScore } from './health-score.js';
import { HEALTH_DEFAULTS, resolveHealthOptions, type HealthOutcome } from './options.js';

const MIN = 60_000;

/** Three errors take a fresh agent from 1.0 to 0.25: below the 0.3 quarantine line. */
function knockDown(h: HealthScore) {
  return [h.record('error'), h.record('error'), h.record('error')].flat();
}

describe('HealthScore deltas', () => {
  it('starts at 1.0 and applies the field-report deltas', () => {
    const h = new HealthScore(new ManualClock(0));
    expect(h.score()).toBe(1);
    h.record('error');
    expect(h.score()).toBeCloseTo(0.75, 12);
    h.record('success');
    expect(h.score()).toBeCloseTo(0.79, 12);
    h.record('cache_hit');
    expect(h.score()).toBeCloseTo(0.8, 12);
    h.record('timeout');
    expect(h.score()).toBeCloseTo(0.5, 12);
    h.record('cancelled');
    expect(h.score()).toBeCloseTo(0.42, 12);
    expect(h.state()).toBe('healthy');
    const [e] = h.record('stall');
    expect(e).toMatchObject({ name: HEALTH_EVENTS.quarantined, from: 'healthy', to: 'quarantined' });
    expect(e!.score).toBeCloseTo(0.07, 12);
  });

  it('never rises above 1', () => {
    const h = new HealthScore(new ManualClock(0));
    h.record('success');
    expect(h.score()).toBe(1);
  });

  it('stacks the retry penalty per consecutive retry, capped, and resets it on success', () => {
    const h = new HealthScore(new ManualClock(0), { quarantineBelow: 0 });
    const drops: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = h.score();
      h.record('retry');
      drops.push(Number((before - h.score()).toFixed(10)));
    }
    expect(drops).toEqual([0.05, 0.1, 0.15, 0.2, 0.25, 0.25]);
    expect(h.snapshot().consecutiveRetries).toBe(6);
    h.record('success');
    expect(h.nextRetryPenalty()).toBeCloseTo(0.05, 12);
  });

  it('quarantines strictly below the threshold, not at it', () => {
    const h = new HealthScore(new ManualClock(0), { quarantineBelow: 0.5 });
    h.record('error');
    expect(h.record('error')).toEqual([]); // exactly 0.5
    expect(h.state()).toBe('healthy');
    expect(h.record('cancelled')[0]?.to).toBe('quarantined');
  });
});

describe('HealthScore quarantine and recovery', () => {
  it('holds a quarantined agent out of routing through the cooldown, then a good probe releases it', () => {
    const clock = new ManualClock(0);
    const h = new HealthScore(clock);
    knockDown(h);
    expect(h.state()).toBe('quarantined');
    expect(h.isRoutable()).toBe(false);
    expect(h.acceptsProbe()).toBe(false);
    expect(h.nextCheckAt()).toBe(HEALTH_DEFAULTS.cooldownMs);
    expect(h.record('success')).toEqual([]); // inside the cooldown: no release
    clock.advance(HEALTH_DEFAULTS.cooldownMs);
    expect(h.acceptsProbe()).toBe(true);
    expect(h.nextCheckAt()).toBe(HEALTH_DEFAULTS.autoRecoverAfterMs);
    const [e] = h.record('success');
    expect(e).toMatchObject({ name: HEALTH_EVENTS.released, from: 'quarantined', to: 'probation', at: 60_000 });
    expect(h.score()).toBeCloseTo(0.6, 12);
    expect(h.isRoutable()).toBe(true);
  });

  it('restores the score linearly while quarantined', () => {
    const clock = new ManualClock(0);
    const h = new HealthScore(clock);
    knockDown(h);
    expect(h.score()).toBeCloseTo(0.25, 12);
    clock.advance(5 * MIN);
    expect(h.score()).toBeCloseTo(0.25 + 0.35 / 2, 12);
  });

  it('recovers automatically after the timeout, with the event at the due instant', () => {
    const clock = new ManualClock(0);
    const h = new HealthScore(clock, { autoRecoverAfterMs: 4 * MIN });
    knockDown(h);
    clock.advance(4 * MIN - 1);
    expect(h.tick()).toEqual([]);
    clock.advance(30_001);
    const [e] = h.tick();
    expect(e).toMatchObject({ kind: 'released', to: 'probation', at: 4 * MIN });
    expect(e!.score).toBeCloseTo(0.6, 12);
  });

  it('restarts the cooldown when a probe fails during quarantine', () => {
    const clock = new ManualClock(0);
    const h = new HealthScore(clock);
    knockDown(h);
    clock.advance(2 * MIN);
    const scoreBefore = h.score();
    const [e] = h.record('timeout');
    expect(e).toMatchObject({ name: HEALTH_EVENTS.extended, from: 'quarantined', to: 'quarantined' });
    expect(h.score()).toBeCloseTo(scoreBefore - 0.3, 12);
    expect(h.snapshot().cooldownEndsAt).toBe(3 * MIN);
    expect(h.snapshot().autoRecoverAt).toBe(12 * MIN);
  });

  it('puts a released agent on probation with a ceiling and a stricter threshold', () => {
    const clock = new ManualClock(0);
    const h = new HealthScore(clock);
    knockDown(h);
    h.recover();
    for (let i = 0; i < 20; i++) h.record('success');
    expect(h.score()).toBeCloseTo(0.8, 12);
    h.record('error'); // 0.55: fine when healthy, and still above the 0.5 probation line
    expect(h.state()).toBe('probation');
    const [e] = h.record('cancelled'); // 0.47 < 0.5
    expect(e).toMatchObject({ from: 'probation', to: 'quarantined' });
  });

  it('ends probation after its window, lifting the ceiling', () => {
    const clock = new ManualClock(0);
    const h = new HealthScore(clock);
    knockDown(h);
    h.recover();
    expect(h.nextCheckAt()).toBe(HEALTH_DEFAULTS.probationMs);
    clock.advance(HEALTH_DEFAULTS.probationMs);
    expect(h.state()).toBe('healthy');
    const events = h.record('success');
    expect(events.map((e) => e.name)).toEqual([HEALTH_EVENTS.recovered]);
    expect(h.score()).toBeCloseTo(0.64, 12);
    for (let i = 0; i < 20; i++) h.record('success');
    expect(h.score()).toBe(1);
  });
});

describe('HealthScore retirement', () => {
  it('retires on the third quarantine within the window and stays retired', () => {
    const clock = new ManualClock(0);
    const h = new HealthScore(clock);
    knockDown(h);
    h.recover();
    h.record('stall'); // 0.25 on probation
    expect(h.state()).toBe('quarantined');
    h.recover();
    const [e] = h.record('stall');
    expect(e).toMatchObject({ name: HEALTH_EVENTS.retired, from: 'probation', to: 'retired' });
    expect(e!.reason).toMatch(/^3 quarantines/);
    expect(h.isRoutable()).toBe(false);
    clock.advance(48 * 60 * MIN);
    expect([h.record('success'), h.recover(), h.quarantine(), h.retire(), h.tick()].flat()).toEqual([]);
    expect(h.state()).toBe('retired');
    expect(h.nextCheckAt()).toBeNull();
  });

  it('does not count quarantines that fell out of the window', () => {
    const clock = new ManualClock(0);
    const h = new HealthScore(clock, { retirementWindowMs: 30 * MIN, probationMs: 0 });
    for (let i = 0; i < 4; i++) {
      expect(h.quarantine()[0]?.to).toBe('quarantined');
      clock.advance(20 * MIN);
      h.tick(); // auto-recovered at 10 min, probation of 0 ends at once
      expect(h.state()).toBe('healthy');
    }
  });

  it('honours a custom N and operator retirement', () => {
    const h = new HealthScore(new ManualClock(0), { retireAfterQuarantines: 1 });
    expect(knockDown(h).map((e) => e.kind)).toEqual(['retired']);
    const g = new HealthScore(new ManualClock(0));
    expect(g.retire('decommissioned')).toMatchObject([{ from: 'healthy', to: 'retired', reason: 'decommissioned' }]);
  });

  it('rejects inconsistent options', () => {
    const clock = new ManualClock(0);
    for (const bad of [
      { quarantineBelow: 1.5 },
      { restoreScore: 0.4 },
      { probationScoreCeiling: 0.5 },
      { retireAfterQuarantines: 0 },
      { cooldownMs: -1 },
      { autoRecoverAfterMs: 1_000 },
      { deltas: { error: Number.NaN } },
    ]) {
      expect(() => new HealthScore(clock, bad), JSON.stringify(bad)).toThrow(MeshError);
    }
  });

  it('keeps every default in one object', () => {
    expect(HEALTH_DEFAULTS.deltas).toEqual({ success: 0.04, cache_hit: 0.01, error: -0.25, stall: -0.35, timeout: -0.3, cancelled: -0.08 });
    expect(HEALTH_DEFAULTS).toMatchObject({ quarantineBelow: 0.3, retireAfterQuarantines: 3 });
  });
});

describe('HealthScore properties', () => {
  const outcome = fc.constantFrom<HealthOutcome>('success', 'cache_hit', 'error', 'stall', 'timeout', 'cancelled', 'retry');
  const op = fc.oneof(
    { weight: 6, arbitrary: outcome.map((o) => ({ t: 'record' as const, o })) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 20 * MIN }).map((ms) => ({ t: 'advance' as const, ms })) },
    fc.constantFrom('recover' as const, 'quarantine' as const, 'tick' as const).map((t) => ({ t })),
  );

  it('score stays in [0, 1], events chain, routable matches state, retired is final', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const clock = new ManualClock(0);
        const h = new HealthScore(clock);
        let state = h.state();
        for (const o of ops) {
          let events;
          switch (o.t) {
            case 'record':
              events = h.record(o.o);
              break;
            case 'advance':
              clock.advance(o.ms);
              events = [] as const;
              break;
            case 'recover':
              events = h.recover();
              break;
            case 'quarantine':
              events = h.quarantine();
              break;
            case 'tick':
              events = h.tick();
              break;
          }
          for (const e of events) {
            expect(e.from).toBe(state);
            if (state === 'retired') expect.fail('an event after retirement');
            state = e.to;
          }
          const snap = h.snapshot();
          expect(snap.score).toBeGreaterThanOrEqual(0);
          expect(snap.score).toBeLessThanOrEqual(1);
          if (snap.state === 'probation') expect(snap.score).toBeLessThanOrEqual(HEALTH_DEFAULTS.probationScoreCeiling);
          expect(h.isRoutable()).toBe(snap.state === 'healthy' || snap.state === 'probation');
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('HealthScore options', () => {
  it('shares options resolved once, starts from a given score, and refuses one outside [0, 1]', () => {
    const clock = new ManualClock(0);
    const options = resolveHealthOptions({ cooldownMs: 1_000 });
    const a = new HealthScore(clock, options);
    const b = new HealthScore(clock, options, 0.7);
    expect(a.options).toBe(options);
    expect(b.options).toBe(options);
    expect([a.score(), b.score()]).toEqual([HEALTH_DEFAULTS.initialScore, 0.7]);
    // Unresolved input is still resolved (and validated) per score.
    expect(new HealthScore(clock, { cooldownMs: 1_000 }).options).not.toBe(options);
    expect(() => new HealthScore(clock, options, 1.5)).toThrow(MeshError);
    expect(() => new HealthScore(clock, { initialScore: 2 })).toThrow(MeshError);
  });
});
