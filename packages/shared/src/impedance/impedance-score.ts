import { MeshError } from '../lib/errors.js';
import { MAX_IMPEDANCE_SCORE } from './agent-impedance.js';
import { QUEUE_DEPTH_FACTOR } from './class-prior.js';

/**
 * The composite impedance score (spec 2.3, 0-1000; high = slow).
 *
 *   D     = latency + processing x (1 + 0.1 x queueDepth)          expected delay, ms
 *   score = 1000 x D / (D + H)                                     H = DEFAULT_HALF_SCORE_DELAY_MS
 *
 * D uses the same queue factor as the spec's processing prior, so score and schedule agree on
 * what a queued operation costs. The hyperbola saturates: 0 ms -> 0, H -> 500, 4H -> 800 (the
 * spec's "degraded" line, so with H = 500 an agent is degraded beyond 2 s of expected delay),
 * 9H -> 900, and 1000 only in the limit. Typical classes land apart: an edge worker (~25 ms)
 * near 50, a Pi (~200 ms) near 290, a persistent container (~400 ms) near 440, a human
 * checkpoint (60 s) above 990.
 *
 * It is computed as 1000 x (1 - H / (D + H)): every step is monotonic under IEEE rounding, so
 * the score never decreases when any input grows, not even by one ulp.
 */

/** Expected delay that scores 500. */
export const DEFAULT_HALF_SCORE_DELAY_MS = 500;

export interface ScoreInputs {
  latencyMs: number;
  processingMs: number;
  queueDepth: number;
}

export interface ScoreOptions {
  halfScoreDelayMs?: number;
}

/** D of the formula above. Negative inputs count as 0; NaN is a caller bug and throws. */
export function expectedDelayMs(inputs: ScoreInputs): number {
  const latency = nonNegative(inputs.latencyMs, 'latencyMs');
  const processing = nonNegative(inputs.processingMs, 'processingMs');
  const queue = nonNegative(inputs.queueDepth, 'queueDepth');
  // Guarded so that an idle agent with an absurd queue gives 0, not 0 x Infinity = NaN.
  const work = processing === 0 ? 0 : processing * (1 + queue * QUEUE_DEPTH_FACTOR);
  return latency + work;
}

export function impedanceScore(inputs: ScoreInputs, options: ScoreOptions = {}): number {
  const h = halfDelay(options);
  const d = expectedDelayMs(inputs);
  const score = MAX_IMPEDANCE_SCORE * (1 - h / (d + h));
  return Math.min(MAX_IMPEDANCE_SCORE, Math.max(0, score));
}

/** The inverse: the expected delay at which the score reaches `score` (Infinity at 1000). */
export function delayForScore(score: number, options: ScoreOptions = {}): number {
  if (!(score >= 0 && score <= MAX_IMPEDANCE_SCORE)) {
    throw new MeshError('INVALID_ARGUMENT', `score must be in [0, 1000], got ${score}`, { path: 'score' });
  }
  const h = halfDelay(options);
  return (h * score) / (MAX_IMPEDANCE_SCORE - score);
}

/**
 * Drift coefficient = coefficient of variation of latency, stddev / mean. The spec's profiler
 * reports a raw standard deviation in ms, but its 0.5 "unstable" threshold only makes sense for
 * a unitless ratio: 0.5 means latency typically strays by half its own mean, whether that mean
 * is 10 ms or 300 ms. 0 when there is no data or the mean is 0.
 */
export function driftCoefficient(mean: number | undefined, stdDev: number | undefined): number {
  if (mean === undefined || stdDev === undefined || !(mean > 0) || !(stdDev > 0)) return 0;
  return stdDev / mean;
}

function halfDelay(options: ScoreOptions): number {
  const h = options.halfScoreDelayMs ?? DEFAULT_HALF_SCORE_DELAY_MS;
  if (!Number.isFinite(h) || h <= 0) {
    throw new MeshError('INVALID_ARGUMENT', `halfScoreDelayMs must be positive and finite, got ${h}`, {
      path: 'halfScoreDelayMs',
    });
  }
  return h;
}

function nonNegative(value: number, path: string): number {
  if (Number.isNaN(value)) {
    throw new MeshError('INVALID_ARGUMENT', `${path} must be a number, got NaN`, { path });
  }
  return value > 0 ? value : 0;
}
