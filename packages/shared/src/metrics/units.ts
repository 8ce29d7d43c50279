/**
 * Metric conventions both runtimes share: base units (seconds) and bucket bounds. The registry
 * and the exposition (prom-client) live in the runtimes; this module only names numbers, so it
 * runs anywhere, workerd included.
 */
import type { BreakerState } from '../breaker/index.js';

/** The project keeps milliseconds; Prometheus wants seconds. */
export function secondsFromMs(ms: number): number {
  return ms / 1000;
}

/** |arrival error| (ready minus T), seconds: from 1 ms, the goal's scale, to 1 s, a broken clock. */
export const ARRIVAL_ERROR_BUCKETS_S: readonly number[] = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * Worst event-loop delay of each second, seconds. Fine at the low end: a healthy loop stays
 * under 20 ms, and a window's worst is read back as the bound of its highest bucket.
 */
export const EVENT_LOOP_DELAY_BUCKETS_S: readonly number[] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

/** How long one HTTP answer took, seconds. */
export const REQUEST_DURATION_BUCKETS_S: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** A breaker's state as a gauge value. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, 'half-open': 1, open: 2 };

/** A reading as a sample value: finite numbers as they are, booleans 1/0, anything else has none. */
export function sampleOf(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
