import { ManualClock } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { holdUntil } from './hold.js';

/** A clock in whole milliseconds whose timer wakes `earlyBy` ms early (but always moves it). */
function wholeMsTimer(start: number, earlyBy = 0) {
  const clock = new ManualClock(start);
  const slept: number[] = [];
  const sleep = (ms: number) => {
    slept.push(ms);
    clock.advance(Math.max(1, Math.floor(ms) - earlyBy));
    return Promise.resolve();
  };
  return { clock, sleep, slept };
}

describe('holdUntil', () => {
  it('returns the first whole-millisecond tick at or after a fractional target', async () => {
    const { clock, sleep } = wholeMsTimer(1_000);
    expect(await holdUntil(1_012.4, { clock, sleep })).toBe(1_013);
  });

  it('sleeps again when the timer wakes early', async () => {
    const { clock, sleep, slept } = wholeMsTimer(1_000, 1);
    const ready = await holdUntil(1_010, { clock, sleep });
    expect(ready).toBeGreaterThanOrEqual(1_010);
    expect(slept.length).toBeGreaterThan(1);
  });

  it('returns at once when the target has passed', async () => {
    const { clock, sleep, slept } = wholeMsTimer(2_000);
    expect(await holdUntil(1_500, { clock, sleep })).toBe(2_000);
    expect(slept).toEqual([]);
  });

  it('gives up instead of spinning when the timer never moves the clock', async () => {
    const clock = new ManualClock(0);
    const ready = await holdUntil(10, { clock, sleep: () => Promise.resolve() });
    expect(ready).toBe(0);
  });
});
