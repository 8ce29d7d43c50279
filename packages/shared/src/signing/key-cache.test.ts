import { describe, expect, it } from 'vitest';
import { KeyCache } from './key-cache.js';

const key = (n: number) => new Uint8Array(32).fill(n);

describe('KeyCache', () => {
  it('loads each key once and counts hits', () => {
    const cache = new KeyCache<string>(4);
    let loads = 0;
    const load = () => `value ${++loads}`;
    expect(cache.getOrLoad(key(1), load)).toBe('value 1');
    expect(cache.getOrLoad(key(1), load)).toBe('value 1');
    expect(cache.getOrLoad(key(2), load)).toBe('value 2');
    expect(cache.stats()).toEqual({ imports: 2, hits: 1, evictions: 0, size: 2, capacity: 4 });
  });

  it('drops the least recently used entry when full', () => {
    const cache = new KeyCache<number>(2);
    cache.getOrLoad(key(1), () => 1);
    cache.getOrLoad(key(2), () => 2);
    cache.getOrLoad(key(1), () => -1); // hit: key 1 becomes the most recent
    cache.getOrLoad(key(3), () => 3); // evicts key 2
    expect(cache.getOrLoad(key(1), () => -1)).toBe(1);
    expect(cache.getOrLoad(key(2), () => 22)).toBe(22);
    expect(cache.stats()).toMatchObject({ evictions: 2, size: 2 });
  });

  it('forgets an entry only while it still holds the given value', () => {
    const cache = new KeyCache<string>(2);
    cache.getOrLoad(key(1), () => 'first');
    cache.forget(key(1), 'something else');
    expect(cache.stats().size).toBe(1);
    cache.forget(key(1), 'first');
    expect(cache.stats().size).toBe(0);
  });

  it('does not store a value whose load threw', () => {
    const cache = new KeyCache<string>(2);
    expect(() =>
      cache.getOrLoad(key(1), () => {
        throw new Error('bad key');
      }),
    ).toThrow('bad key');
    expect(cache.stats().size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a capacity of %d with INVALID_ARGUMENT', (capacity) => {
    expect(() => new KeyCache(capacity)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
