import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst, then one per refill interval, and says when to retry', () => {
    const limiter = new RateLimiter({ burst: 2, perSecond: 0.5 });
    expect(limiter.take('a', 0)).toEqual({ ok: true });
    expect(limiter.take('a', 0)).toEqual({ ok: true });
    expect(limiter.take('a', 0)).toEqual({ ok: false, retryAfterS: 2 });
    expect(limiter.take('b', 0)).toEqual({ ok: true });
    expect(limiter.take('a', 2_000)).toEqual({ ok: true });
  });

  it('peek does not take; a clock stepping back refills nothing', () => {
    const limiter = new RateLimiter({ burst: 1, perSecond: 1 });
    expect(limiter.peek('a', 1_000)).toEqual({ ok: true });
    expect(limiter.take('a', 1_000)).toEqual({ ok: true });
    expect(limiter.take('a', 0).ok).toBe(false);
  });

  it('forgets the oldest keys beyond maxKeys, so invented keys cannot grow it without bound', () => {
    const limiter = new RateLimiter({ burst: 1, perSecond: 1, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) limiter.take(`key-${i}`, 0);
    expect(limiter.size).toBe(100);
  });
});
