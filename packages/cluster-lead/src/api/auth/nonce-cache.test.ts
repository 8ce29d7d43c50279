import { describe, expect, it } from 'vitest';
import { NonceCache } from './nonce-cache.js';

describe('NonceCache', () => {
  it('refuses a nonce seen from the same operator until it expires, never another operator\'s', () => {
    const cache = new NonceCache();
    expect(cache.remember('op', 'n-1', 1_000, 0)).toBe(true);
    expect(cache.remember('op', 'n-1', 1_000, 500)).toBe(false);
    expect(cache.remember('other', 'n-1', 1_000, 500)).toBe(true);
    expect(cache.remember('op', 'n-1', 2_000, 1_000)).toBe(true);
  });

  it('stays within its bound: expired entries go first, then the oldest', () => {
    const cache = new NonceCache(3);
    cache.remember('op', 'a', 100, 0);
    cache.remember('op', 'b', 5_000, 0);
    cache.remember('op', 'c', 5_000, 0);
    cache.remember('op', 'd', 5_000, 200); // a expired: pruned, nothing else lost
    expect(cache.size).toBe(3);
    expect(cache.remember('op', 'b', 5_000, 300)).toBe(false);
    cache.remember('op', 'e', 5_000, 300); // full of live entries: the oldest (b) goes
    expect(cache.size).toBe(3);
    expect(cache.remember('op', 'c', 5_000, 300)).toBe(false);
  });
});
