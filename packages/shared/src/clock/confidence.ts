/**
 * How much to trust a clock estimate, in [0, 1]:
 *
 *   confidence = min(1, samples / windowSize)
 *              * 1 / (1 + errorBoundMs / errorScaleMs)
 *              * 1 / (1 + jitterMs / jitterScaleMs)
 *              * (ageMs <= freshForMs ? 1 : exp(-(ageMs - freshForMs) / ageScaleMs))
 *
 * Each factor is 1 at its best and falls smoothly: a full filter window, an error bound and
 * a jitter well under their scales, and a heartbeat inside the fresh period give ~1. An error
 * bound equal to its scale halves the confidence.
 */
export interface ConfidenceScales {
  /** Error bound (ms) at which the error factor is 1/2. */
  errorScaleMs: number;
  /** Delay standard deviation (ms) at which the jitter factor is 1/2. */
  jitterScaleMs: number;
  /** A sample younger than this costs nothing (the spec counts a heartbeat within 10 s as recent). */
  freshForMs: number;
  /** Past the fresh period, confidence falls by 1/e per this many ms. */
  ageScaleMs: number;
}

export const DEFAULT_CONFIDENCE_SCALES: Readonly<ConfidenceScales> = Object.freeze({
  errorScaleMs: 5,
  jitterScaleMs: 5,
  freshForMs: 10_000,
  ageScaleMs: 60_000,
});

export interface ConfidenceInputs {
  samples: number;
  windowSize: number;
  errorBoundMs: number;
  jitterMs: number;
  ageMs: number;
}

export function clockConfidence(inputs: ConfidenceInputs, scales: ConfidenceScales = DEFAULT_CONFIDENCE_SCALES): number {
  if (inputs.samples <= 0 || inputs.windowSize <= 0) return 0;
  const count = Math.min(1, inputs.samples / inputs.windowSize);
  const error = 1 / (1 + Math.max(0, inputs.errorBoundMs) / scales.errorScaleMs);
  const jitter = 1 / (1 + Math.max(0, inputs.jitterMs) / scales.jitterScaleMs);
  const overdue = Math.max(0, inputs.ageMs - scales.freshForMs);
  const freshness = Math.exp(-overdue / scales.ageScaleMs);
  const value = count * error * jitter * freshness;
  // NaN (an infinite error bound times zero, say) must not reach the wire.
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
