import { MeshError } from '../lib/errors.js';

export interface BreakerOptions {
  readonly tripAbove: number;
  readonly failureWindowMs: number;
  readonly openDurationMs: number;
  readonly reprobeBaseMs: number;
  readonly reprobeFactor: number;
  readonly reprobeMaxMs: number;
  readonly halfOpenObservationMs: number;
  readonly halfOpenMaxTrials: number;
  readonly metricsOnly: boolean;
}

/** Defaults for one breaker; the spec's cluster values (6.2). */
export const BREAKER_DEFAULTS: BreakerOptions = Object.freeze({
  /** Trips when the failures inside the window exceed this many (spec: "> 5"). */
  tripAbove: 5,
  /** Sliding window in which failures are counted. */
  failureWindowMs: 60_000,
  /** Wait after tripping before the first probe (spec: 30 s). */
  openDurationMs: 30_000,
  /** Wait after the first failed probe (spec: 60 s); later ones grow by reprobeFactor. */
  reprobeBaseMs: 60_000,
  reprobeFactor: 2,
  /** Longest wait between probes, so a recovered target is noticed within this time. */
  reprobeMaxMs: 600_000,
  /** Half-open observation before closing (spec: 60 s). */
  halfOpenObservationMs: 60_000,
  /** Requests admitted while half-open. */
  halfOpenMaxTrials: 10,
  /** Shadow mode: record what would happen, never block traffic. */
  metricsOnly: false,
});

export function resolveBreakerOptions(partial: Partial<BreakerOptions>): BreakerOptions {
  const o: BreakerOptions = { ...BREAKER_DEFAULTS, ...partial };
  const check = (ok: boolean, key: keyof BreakerOptions, what: string): void => {
    if (!ok) throw new MeshError('INVALID_ARGUMENT', `${key} must be ${what}, got ${String(o[key])}`, { path: key });
  };
  check(Number.isSafeInteger(o.tripAbove) && o.tripAbove >= 0, 'tripAbove', 'a non-negative integer');
  for (const key of ['failureWindowMs', 'openDurationMs', 'reprobeBaseMs', 'halfOpenObservationMs'] as const) {
    check(Number.isFinite(o[key]) && o[key] > 0, key, 'a positive number of ms');
  }
  check(Number.isFinite(o.reprobeFactor) && o.reprobeFactor >= 1, 'reprobeFactor', 'at least 1');
  check(Number.isFinite(o.reprobeMaxMs) && o.reprobeMaxMs >= o.reprobeBaseMs, 'reprobeMaxMs', 'at least reprobeBaseMs');
  check(Number.isSafeInteger(o.halfOpenMaxTrials) && o.halfOpenMaxTrials >= 1, 'halfOpenMaxTrials', 'a positive integer');
  return Object.freeze(o);
}
