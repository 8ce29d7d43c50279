import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { MeshError } from '../lib/errors.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { BREAKER_EVENTS, breakerActionFor } from './events.js';
import { BREAKER_DEFAULTS } from './options.js';

function failTimes(b: CircuitBreaker, n: number) {
  return Array.from({ length: n }, () => b.recordFailure('timeout')).flat();
}

describe('CircuitBreaker', () => {
  it('stays closed at the threshold and opens one failure above it', () => {
    const clock = new ManualClock(1_000);
    const b = new CircuitBreaker(clock);
    expect(failTimes(b, 5)).toEqual([]);
    expect(b.state()).toBe('closed');
    const [e, ...rest] = b.recordFailure('timeout');
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ name: BREAKER_EVENTS.opened, kind: 'opened', from: 'closed', to: 'open', at: 1_000 });
    expect(e!.nextCheckAt).toBe(1_000 + 30_000);
    expect(e!.shadow).toBe(false);
    expect(b.isRoutable()).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const clock = new ManualClock(0);
    const b = new CircuitBreaker(clock, { failureWindowMs: 10_000 });
    failTimes(b, 5);
    clock.advance(10_000);
    expect(b.snapshot().failuresInWindow).toBe(0);
    failTimes(b, 5);
    expect(b.state()).toBe('closed');
    expect(b.recordFailure()[0]?.to).toBe('open');
  });

  it('goes closed -> open -> half-open -> closed on a ManualClock', () => {
    const clock = new ManualClock(0);
    const b = new CircuitBreaker(clock, { halfOpenMaxTrials: 2 });
    failTimes(b, 6);
    expect(b.nextCheckAt()).toBe(30_000);
    clock.advance(29_999);
    expect(b.isProbeDue()).toBe(false);
    clock.advance(1);
    expect(b.isProbeDue()).toBe(true);
    expect(b.isRoutable()).toBe(false);

    const [half] = b.recordProbe(true);
    expect(half).toMatchObject({ name: BREAKER_EVENTS.halfOpened, from: 'open', to: 'half-open', at: 30_000 });
    expect(b.nextCheckAt()).toBe(90_000);
    expect(b.admit()).toBe(true);
    expect(b.admit()).toBe(true);
    expect(b.isRoutable()).toBe(false);
    expect(b.admit()).toBe(false);
    expect(b.recordSuccess()).toEqual([]);

    clock.advance(59_999);
    expect(b.tick()).toEqual([]);
    clock.set(95_000);
    const [closed] = b.tick();
    expect(closed).toMatchObject({ name: BREAKER_EVENTS.closed, from: 'half-open', to: 'closed', at: 90_000 });
    expect(b.isRoutable()).toBe(true);
    expect(b.nextCheckAt()).toBeNull();
  });

  it('keeps a transition noticed by a query and returns it from the next call', () => {
    const clock = new ManualClock(0);
    const b = new CircuitBreaker(clock);
    b.apply('HALF_OPEN');
    clock.advance(60_000);
    expect(b.state()).toBe('closed');
    expect(b.recordSuccess().map((e) => e.kind)).toEqual(['closed']);
    expect(b.tick()).toEqual([]);
  });

  it('extends the wait after a failed probe, growing and capped', () => {
    const clock = new ManualClock(0);
    const b = new CircuitBreaker(clock, { reprobeMaxMs: 200_000 });
    failTimes(b, 6);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      clock.set(b.nextCheckAt()!);
      const [e] = b.recordProbe(false);
      expect(e).toMatchObject({ name: BREAKER_EVENTS.extended, from: 'open', to: 'open' });
      waits.push(b.nextCheckAt()! - clock.now());
    }
    expect(waits).toEqual([60_000, 120_000, 200_000, 200_000]);
    expect(b.snapshot().failedProbes).toBe(4);
  });

  it('re-opens on a failed half-open trial with a longer wait than the first', () => {
    const clock = new ManualClock(0);
    const b = new CircuitBreaker(clock);
    failTimes(b, 6);
    clock.set(30_000);
    b.recordProbe(true);
    clock.advance(5_000);
    const [e] = b.recordFailure('stall');
    expect(e).toMatchObject({ kind: 'opened', from: 'half-open', to: 'open', at: 35_000 });
    expect(e!.nextCheckAt! - 35_000).toBe(60_000);
    expect(e!.nextCheckAt! - 35_000).toBeGreaterThan(BREAKER_DEFAULTS.openDurationMs);
    // Closing resets the back-off: the next trip waits the base open duration again.
    clock.set(e!.nextCheckAt!);
    b.recordProbe(true);
    clock.advance(60_000);
    b.tick();
    failTimes(b, 6);
    expect(b.nextCheckAt()! - clock.now()).toBe(30_000);
  });

  it('ignores outcomes while open unless they are probes', () => {
    const clock = new ManualClock(0);
    const b = new CircuitBreaker(clock);
    failTimes(b, 6);
    clock.advance(40_000);
    expect(b.recordSuccess()).toEqual([]);
    expect(b.recordFailure()).toEqual([]);
    expect(b.state()).toBe('open');
  });

  it('in metrics-only mode reports would-* transitions and stays routable', () => {
    const clock = new ManualClock(0);
    const b = new CircuitBreaker(clock, { metricsOnly: true, halfOpenMaxTrials: 1 });
    const events = failTimes(b, 6);
    expect(events.map((e) => e.name)).toEqual([BREAKER_EVENTS.wouldOpen]);
    expect(events[0]!.shadow).toBe(true);
    expect(b.state()).toBe('open');
    expect(b.isRoutable()).toBe(true);
    expect(b.admit()).toBe(true);
    // Traffic keeps flowing, so once the probe is due the next outcome acts as the probe.
    expect(b.recordSuccess()).toEqual([]);
    clock.advance(30_000);
    expect(b.recordFailure().map((e) => e.kind)).toEqual(['would-extend']);
    clock.advance(60_000);
    expect(b.recordSuccess().map((e) => e.kind)).toEqual(['would-half-open']);
    b.admit();
    expect(b.admit()).toBe(true);
    clock.advance(60_000);
    expect(b.tick().map((e) => e.name)).toEqual([BREAKER_EVENTS.wouldClose]);
  });

  it('obeys operator actions and does nothing when already in the state', () => {
    const clock = new ManualClock(0);
    const b = new CircuitBreaker(clock);
    expect(b.apply('CLOSE')).toEqual([]);
    expect(b.apply('OPEN', 'maintenance')[0]).toMatchObject({ to: 'open', reason: 'maintenance' });
    expect(b.apply('OPEN')).toEqual([]);
    expect(b.apply('HALF_OPEN')[0]?.to).toBe('half-open');
    expect(b.apply('CLOSE')[0]?.to).toBe('closed');
  });

  it('maps states to CIRCUIT actions', () => {
    expect([breakerActionFor('open'), breakerActionFor('half-open'), breakerActionFor('closed')]).toEqual([
      'OPEN',
      'HALF_OPEN',
      'CLOSE',
    ]);
  });

  it('rejects bad options', () => {
    const clock = new ManualClock(0);
    for (const bad of [{ tripAbove: -1 }, { openDurationMs: 0 }, { reprobeFactor: 0.5 }, { reprobeMaxMs: 1 }, { halfOpenMaxTrials: 0 }]) {
      expect(() => new CircuitBreaker(clock, bad)).toThrow(MeshError);
    }
  });

  it('exports the spec defaults', () => {
    expect(BREAKER_DEFAULTS).toMatchObject({
      tripAbove: 5,
      openDurationMs: 30_000,
      reprobeBaseMs: 60_000,
      halfOpenObservationMs: 60_000,
      metricsOnly: false,
    });
  });
});

type Step =
  | { t: 'fail' }
  | { t: 'ok' }
  | { t: 'probe'; success: boolean }
  | { t: 'admit' }
  | { t: 'advance'; ms: number }
  | { t: 'tick' }
  | { t: 'apply'; action: 'OPEN' | 'HALF_OPEN' | 'CLOSE' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ t: 'fail' } as const) },
  { weight: 2, arbitrary: fc.constant({ t: 'ok' } as const) },
  fc.boolean().map((success) => ({ t: 'probe', success }) as const),
  { weight: 2, arbitrary: fc.constant({ t: 'admit' } as const) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 90_000 }).map((ms) => ({ t: 'advance', ms }) as const) },
  fc.constant({ t: 'tick' } as const),
  fc.constantFrom('OPEN', 'HALF_OPEN', 'CLOSE').map((action) => ({ t: 'apply', action }) as const),
);

function run(b: CircuitBreaker, clock: ManualClock, s: Step) {
  switch (s.t) {
    case 'fail':
      return b.recordFailure();
    case 'ok':
      return b.recordSuccess();
    case 'probe':
      return b.recordProbe(s.success);
    case 'admit':
      b.admit();
      return [];
    case 'advance':
      // Time passes with no call: due transitions surface on a later call.
      clock.advance(s.ms);
      return [];
    case 'tick':
      return b.tick();
    case 'apply':
      return b.apply(s.action);
  }
}

describe('CircuitBreaker properties', () => {
  it('an open breaker never reports routable nor admits, for any event sequence', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), fc.integer({ min: 0, max: 8 }), (steps, tripAbove) => {
        const clock = new ManualClock(0);
        const b = new CircuitBreaker(clock, { tripAbove, halfOpenMaxTrials: 3 });
        for (const s of steps) {
          const events = run(b, clock, s);
          for (const e of events) expect(e.shadow).toBe(false);
          if (b.state() === 'open') {
            expect(b.isRoutable()).toBe(false);
            expect(b.admit()).toBe(false);
            expect(b.nextCheckAt()).not.toBeNull();
          }
          if (b.state() === 'closed') expect(b.isRoutable()).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('events chain with no gap, none lost even when noticed by a query', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const clock = new ManualClock(0);
        const b = new CircuitBreaker(clock, { tripAbove: 2 });
        let state = b.state();
        for (const s of steps) {
          for (const e of run(b, clock, s)) {
            expect(e.from).toBe(state);
            state = e.to;
          }
        }
        for (const e of b.tick()) {
          expect(e.from).toBe(state);
          state = e.to;
        }
        expect(b.state()).toBe(state);
        expect(b.tick()).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('a metrics-only breaker is always routable and only reports would-* events', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const clock = new ManualClock(0);
        const b = new CircuitBreaker(clock, { tripAbove: 1, metricsOnly: true });
        for (const s of steps) {
          for (const e of run(b, clock, s)) {
            expect(e.kind.startsWith('would-')).toBe(true);
            expect(e.shadow).toBe(true);
          }
          expect(b.isRoutable()).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
