import { performance } from 'node:perf_hooks';
import type { Clock } from '@mesh30k/shared';

/**
 * The lead's clock, which defines mesh time. It is the monotonic clock anchored to the wall
 * clock once at process start, so an NTP step on the lead's host does not jump mesh time
 * under every agent's offset estimate; sub-millisecond resolution for the clock exchange.
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => performance.timeOrigin + performance.now(),
});
