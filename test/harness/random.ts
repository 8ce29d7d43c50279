// A tiny seeded PRNG so that emulated delays and losses are reproducible run to run.

/** Returns a uniform number in [0, 1). */
export type Random = () => number;

const UINT32 = 0x1_0000_0000;

/** mulberry32: 32-bit state, good enough statistical quality for test traffic shaping. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / UINT32;
  };
}

/**
 * Mixes several integers into one seed (an FNV-1a style fold), so each independent stream
 * (say, one per connection and direction) gets its own sequence that does not depend on
 * how the streams interleave in time.
 */
export function deriveSeed(...parts: readonly number[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    hash = Math.imul(hash ^ (part >>> 0), 0x01000193) >>> 0;
    hash = Math.imul(hash ^ (hash >>> 13), 0x5bd1e995) >>> 0;
  }
  return hash;
}
