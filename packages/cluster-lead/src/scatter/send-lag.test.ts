import { describe, expect, it } from 'vitest';
import { SEND_LAG_FIXED_MS, SEND_LAG_MEMORY, SendLag } from './send-lag.js';

describe('SendLag', () => {
  it('uses the prior per agent until an operation was measured', () => {
    expect(new SendLag(0.05).estimateMs(10_000)).toBeCloseTo(500, 9);
    expect(new SendLag(0.05).estimateMs(0)).toBe(0);
  });

  it('scales the worst of the recent lags per agent, beyond the fixed slack, to the next fleet', () => {
    const lag = new SendLag(0.05);
    lag.observe(5_000, 255 + SEND_LAG_FIXED_MS);
    lag.observe(5_000, 105 + SEND_LAG_FIXED_MS);
    expect(lag.estimateMs(10_000)).toBeCloseTo(510, 9);
    // A small operation inside the fixed slack adds nothing of its own.
    lag.observe(10, 3);
    expect(lag.estimateMs(10_000)).toBeCloseTo(510, 9);
  });

  it('forgets the oldest once it holds SEND_LAG_MEMORY operations, and ignores nonsense', () => {
    const lag = new SendLag(1);
    lag.observe(100, 100 + SEND_LAG_FIXED_MS);
    for (let i = 0; i < SEND_LAG_MEMORY; i++) lag.observe(100, 10 + SEND_LAG_FIXED_MS);
    lag.observe(0, 50);
    lag.observe(100, Number.NaN);
    expect(lag.estimateMs(100)).toBeCloseTo(10, 9);
  });
});
