import { describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { MeshError } from '../lib/errors.js';
import { RELIABILITY_WINDOW_MS, ReliabilityTracker } from './reliability.js';

const MINUTE = 60_000;

describe('ReliabilityTracker', () => {
  it('reports 1.0 with no data', () => {
    const r = new ReliabilityTracker({ clock: new ManualClock(1_000_000) });
    expect(r.score()).toBe(1);
    expect(r.counts()).toEqual({ successes: 0, failures: 0 });
  });

  it('is the success rate of the outcomes in the window', () => {
    const clock = new ManualClock(10 * MINUTE);
    const r = new ReliabilityTracker({ clock });
    for (let i = 0; i < 3; i++) r.recordSuccess();
    clock.advance(5 * MINUTE);
    r.recordFailure();
    expect(r.score()).toBe(0.75);
  });

  it('ages out outcomes older than the hour', () => {
    const clock = new ManualClock(0);
    const r = new ReliabilityTracker({ clock });
    r.recordFailure(); // minute 0
    clock.advance(30 * MINUTE);
    r.recordSuccess(); // minute 30
    clock.set(59 * MINUTE + 59_999); // still inside: minute 0 is the oldest live bucket
    expect(r.counts()).toEqual({ successes: 1, failures: 1 });
    clock.set(RELIABILITY_WINDOW_MS); // minute 60: the failure has left
    expect(r.counts()).toEqual({ successes: 1, failures: 0 });
    expect(r.score()).toBe(1);
    clock.set(90 * MINUTE); // minute 90: the success has left too
    expect(r.counts()).toEqual({ successes: 0, failures: 0 });
    expect(r.score()).toBe(1);
  });

  it('reuses a slot once its bucket has expired', () => {
    const clock = new ManualClock(0);
    const r = new ReliabilityTracker({ clock });
    r.recordFailure();
    clock.set(60 * MINUTE); // same slot, new bucket
    r.recordSuccess();
    expect(r.counts()).toEqual({ successes: 1, failures: 0 });
  });

  it('drops outcomes stamped before the oldest live bucket', () => {
    const clock = new ManualClock(120 * MINUTE);
    const r = new ReliabilityTracker({ clock });
    r.recordSuccess();
    r.recordFailure(60 * MINUTE); // maps to the slot now holding minute 120
    r.recordFailure(30 * MINUTE);
    expect(r.counts()).toEqual({ successes: 1, failures: 0 });
    r.recordFailure(100 * MINUTE); // inside the window: counts
    expect(r.counts()).toEqual({ successes: 1, failures: 1 });
  });

  it('folds in a prior when given one', () => {
    const clock = new ManualClock(0);
    const r = new ReliabilityTracker({ clock }, { prior: { successes: 9, failures: 1 } });
    expect(r.score()).toBe(0.9);
    r.recordFailure();
    expect(r.score()).toBeCloseTo(9 / 11, 12);
  });

  it('supports a custom window and bucket count', () => {
    const clock = new ManualClock(0);
    const r = new ReliabilityTracker({ clock }, { windowMs: 10_000, buckets: 10 });
    r.recordFailure();
    clock.set(9_999);
    expect(r.score()).toBe(0);
    clock.set(10_000);
    expect(r.score()).toBe(1);
  });

  it('rejects bad options', () => {
    const clock = new ManualClock();
    expect(() => new ReliabilityTracker({ clock }, { buckets: 0 })).toThrow(MeshError);
    expect(() => new ReliabilityTracker({ clock }, { windowMs: -1 })).toThrow(MeshError);
    expect(() => new ReliabilityTracker({ clock }, { prior: { successes: -1, failures: 0 } })).toThrow(MeshError);
  });
});
