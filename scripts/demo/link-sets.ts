// Named link emulations for the demo: each is a list of links (one sim process behind each,
// under every child lead), one-way delays between 5 and 300 ms with jitter.
import type { LinkProfiles } from '../../test/harness/index.js';

const both = (baseMs: number, jitterMs: number, jitter: 'uniform' | 'heavy-tail' = 'uniform', lossRate = 0): LinkProfiles => {
  const direction = { baseMs, jitterMs, jitter, lossRate };
  return { up: direction, down: direction };
};

export const LINK_SETS = {
  /** Wired and good Wi-Fi in one building. */
  lan: [both(2, 3), both(5, 5)],
  /** The realistic fleet: LAN, Wi-Fi with queueing spikes, cellular at 150-300 ms. */
  mixed: [both(5, 5), both(40, 30, 'heavy-tail'), both(150, 150)],
  /** Everything on mobile networks: long, jittery, a little loss. */
  cellular: [both(120, 80, 'heavy-tail', 0.001), both(200, 100)],
  /** Uplinks far slower than downlinks, and the other way round. */
  asymmetric: [
    { up: { baseMs: 150, jitterMs: 50 }, down: { baseMs: 15, jitterMs: 5 } },
    { up: { baseMs: 15, jitterMs: 5 }, down: { baseMs: 150, jitterMs: 50 } },
  ],
} satisfies Record<string, readonly LinkProfiles[]>;

export type LinkSetName = keyof typeof LINK_SETS;
