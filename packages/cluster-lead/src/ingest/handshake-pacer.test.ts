import { describe, expect, it } from 'vitest';
import { HandshakePacer } from './handshake-pacer.js';

const options = { minMs: 250, maxMs: 10_000, windowMs: 1_000, assumedPerSecond: 100 };

describe('HandshakePacer', () => {
  it('gives each agent sent away the next slot at the measured rate, behind those in progress', () => {
    const pacer = new HandshakePacer(options);
    for (let t = 0; t < 1_000; t += 5) pacer.noteOpened(t); // 200 a second
    expect(pacer.ratePerMs(1_000)).toBeCloseTo(0.2, 2);
    // 50 in progress: 250 ms of work, then 5 ms a slot.
    const waits = [0, 1, 2].map(() => pacer.retryAfterMs(1_000, 50));
    expect(waits).toEqual([255, 260, 265]);
  });

  it('assumes its rate before any session opened in the window, and forgets old ones', () => {
    const pacer = new HandshakePacer(options);
    expect(pacer.retryAfterMs(0, 100)).toBe(1_010);
    pacer.noteOpened(0);
    expect(pacer.ratePerMs(5_000)).toBeCloseTo(0.1, 3);
  });

  it('never asks back sooner than minMs nor later than maxMs', () => {
    const fast = new HandshakePacer(options);
    for (let t = 0; t < 1_000; t++) fast.noteOpened(t);
    expect(fast.retryAfterMs(1_000, 0)).toBe(250);
    const slow = new HandshakePacer({ ...options, assumedPerSecond: 1 });
    expect(slow.retryAfterMs(0, 1_000)).toBe(10_000);
    expect(slow.retryAfterMs(0, 0)).toBe(10_000);
  });
});
