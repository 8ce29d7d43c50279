import { MeshError, err, ok } from '../lib/errors.js';
import type { Result } from '../lib/errors.js';

/**
 * The four timestamps of one heartbeat exchange. t1 and t4 are read on the agent's clock,
 * t2 and t3 on the lead's clock (mesh time).
 */
export interface ExchangeTimestamps {
  /** Agent clock when the request left. */
  t1: number;
  /** Lead clock when the request arrived. */
  t2: number;
  /** Lead clock when the reply left. */
  t3: number;
  /** Agent clock when the reply arrived. */
  t4: number;
}

/** What one exchange says about the agent's clock. */
export interface OffsetSample {
  /** Lead clock minus agent clock, in ms. */
  offsetMs: number;
  /** Round-trip network delay, lead processing excluded, in ms. Always >= 0. */
  delayMs: number;
  /**
   * Agent-clock instant the offset refers to: the midpoint of t1 and t4. With symmetric
   * paths the lead's stamps sit at that instant in mesh time.
   */
  localMidMs: number;
  /** Agent-clock instant the sample became known (t4). */
  receivedAtMs: number;
}

/**
 * Rounding slack for the delay check: with fractional stamps a zero delay can come out as
 * -1e-10. Anything below this is a bad exchange, not rounding.
 */
export const DELAY_ROUNDING_TOLERANCE_MS = 1e-6;

const FIELDS = ['t1', 't2', 't3', 't4'] as const;

function invalid(message: string, path: string): Result<never> {
  return err(new MeshError('INVALID_ARGUMENT', message, { path }));
}

/**
 * Offset and delay from one exchange, NTP's on-wire formulas:
 *   offset = ((t2 - t1) + (t3 - t4)) / 2     delay = (t4 - t1) - (t3 - t2)
 * The offset is exact when both directions take the same time; otherwise it is off by half
 * the asymmetry, which delay / 2 bounds.
 */
export function computeOffset(ts: ExchangeTimestamps): Result<OffsetSample> {
  for (const field of FIELDS) {
    if (!Number.isFinite(ts[field])) return invalid(`${field} must be a finite number`, field);
  }
  const { t1, t2, t3, t4 } = ts;
  if (t4 < t1) return invalid('t4 is before t1: the agent clock went backwards', 't4');
  if (t3 < t2) return invalid('t3 is before t2: the lead replied before it received', 't3');
  const delay = t4 - t1 - (t3 - t2);
  if (delay < -DELAY_ROUNDING_TOLERANCE_MS) {
    return invalid(`negative round-trip delay (${delay} ms): lead hold time exceeds the round trip`, 't3');
  }
  return ok({
    offsetMs: (t2 - t1 + (t3 - t4)) / 2,
    delayMs: Math.max(0, delay),
    localMidMs: t1 + (t4 - t1) / 2,
    receivedAtMs: t4,
  });
}
