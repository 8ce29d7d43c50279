import { performance } from 'node:perf_hooks';
import type { Clock } from '@mesh30k/shared';

/**
 * The agent's own clock: wall time at process start plus the monotonic clock since. It never
 * steps backwards (an NTP step would corrupt the offset filter), keeps sub-millisecond
 * resolution, and is still rate-disciplined by NTP through CLOCK_MONOTONIC. Its offset to the
 * lead is what the heartbeat exchange measures, so a fixed error against wall time is harmless.
 */
const origin = performance.timeOrigin;

export const trueClock: Clock = {
  // timeOrigin read once: the getter costs more than performance.now() itself.
  now: () => origin + performance.now(),
};

/** Monotonic milliseconds for measuring waits and durations, never for timestamps on the wire. */
export function monotonicMs(): number {
  return performance.now();
}
