/**
 * Redial timing for a fleet: waits grow with how long the link has been down (about half of
 * it, between a floor and a cap), plus random jitter, so a thousand Pis that lost the same
 * server do not come back in one burst and a long outage is not hammered every second.
 *
 * The client calls its delay handler more than once per attempt, so the wait is derived from
 * the time since the outage began rather than from a counter it would double-count.
 */
export interface BackoffOptions {
  /** Shortest wait between dials, ms. */
  minMs: number;
  /** Longest wait between dials, ms. */
  maxMs: number;
  /** Random extra wait, uniform in [0, jitterMs]. */
  jitterMs: number;
}

/** Share of the outage so far that the next wait grows to. */
const GROWTH = 0.5;

export function backoffDelay(downForMs: number, options: BackoffOptions, random: () => number = Math.random): number {
  const grown = Math.min(options.maxMs, Math.max(options.minMs, downForMs * GROWTH));
  return Math.round(grown + random() * options.jitterMs);
}
