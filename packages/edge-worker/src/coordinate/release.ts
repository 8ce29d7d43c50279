import type { Coordinate } from '@mesh30k/shared';
import { toLocal } from '../clock/mesh-time.js';

/** When this agent may become READY. */
export type Release =
  | { kind: 'now' }
  | { kind: 'hold'; untilLocal: number }
  /** T is further ahead than this agent will hold a request. */
  | { kind: 'too-far'; aheadMs: number };

/**
 * In `hold` mode at T converted to the Worker clock with the offset the lead gave
 * (target_time - clock_offset_ms); in `lead` and `none` modes as soon as the work is done.
 * A T further ahead than maxHoldMs is refused: holding a request that long is a scheduling
 * mistake, and an HTTP request is not a queue.
 */
export function releaseFor(message: Coordinate, offsetMs: number, nowLocal: number, maxHoldMs: number): Release {
  switch (message.release_mode) {
    case 'hold': {
      const untilLocal = toLocal(message.target_time, offsetMs);
      const aheadMs = untilLocal - nowLocal;
      return aheadMs > maxHoldMs ? { kind: 'too-far', aheadMs } : { kind: 'hold', untilLocal };
    }
    case 'lead':
    case 'none':
      return { kind: 'now' };
  }
}
