import { MeshError } from '../lib/errors.js';
import { DEFAULT_CONFIDENCE_SCALES } from './confidence.js';
import type { ConfidenceScales } from './confidence.js';

/**
 * Samples the clock filter chooses from. NTP uses 8; a heartbeat link with 30% heavy-tailed
 * jitter needs more draws for one near the true path delay, and the filter is drift-corrected
 * (an old sample's error grows with the drift uncertainty times its age, see the estimator),
 * so a long window costs nothing while the drift is unknown and helps once it is measured.
 */
export const DEFAULT_FILTER_WINDOW = 32;
/** Accepted samples per drift point (each point is the best of its block); independent of the window. */
export const DEFAULT_DRIFT_BLOCK = 8;
/**
 * Drift points kept: each is the best sample of a block of driftBlock accepted samples, so 64
 * points span ~8.5 min of 1 Hz heartbeats (~43 min at one every 5 s). Span is what beats
 * delay noise; too long and a Pi's temperature-driven drift changes are smoothed away.
 */
export const DEFAULT_DRIFT_HISTORY = 64;
/**
 * Samples whose smallest delay is the "normal" path delay that spikes are measured against. It
 * is also how long a lasting move to a slower path is treated as spikes before it is adopted.
 */
export const DEFAULT_DELAY_HISTORY = 32;
/** Crystal oscillators stay within ~100 ppm; beyond 500 the fit is measuring something else. */
export const DEFAULT_MAX_DRIFT_PPM = 500;
/** Below this span, delay noise swamps the slope (0.5 ms over 30 s is already 17 ppm). */
export const DEFAULT_MIN_DRIFT_SPAN_MS = 30_000;
/**
 * Fewest drift points for a fit. Four left two degrees of freedom, but block minima on a link
 * with 30 ms of jitter then gave slopes off by tens of ppm, and the filter's bounds carried over
 * a minute with such a slope pulled the offset by milliseconds; eight points are steadier.
 */
export const DEFAULT_MIN_DRIFT_POINTS = 8;
/** A sample is a popcorn spike when its delay exceeds factor * normal delay + slack. */
export const DEFAULT_SPIKE_DELAY_FACTOR = 3;
/** Absolute part of the spike threshold, so sub-millisecond LAN delays do not flag every wobble. */
export const DEFAULT_SPIKE_SLACK_MS = 2;
/** A sample disagrees with the estimate when its residual exceeds factor * error bound + minimum. */
export const DEFAULT_STEP_BOUND_FACTOR = 4;
export const DEFAULT_STEP_MIN_MS = 5;
/** Consecutive disagreeing samples that prove a clock step rather than noise. */
export const DEFAULT_STEP_CONSECUTIVE = 4;
/** Drift uncertainty assumed before the drift has been measured: a typical crystal tolerance. */
export const UNKNOWN_DRIFT_PPM = 100;
/** Floor on the drift uncertainty once measured: a fit is never perfect. */
export const MIN_DRIFT_UNCERTAINTY_PPM = 1;

export interface OffsetEstimatorOptions {
  windowSize: number;
  driftBlock: number;
  driftHistory: number;
  delayHistory: number;
  maxDriftPpm: number;
  minDriftSpanMs: number;
  minDriftPoints: number;
  spikeDelayFactor: number;
  spikeSlackMs: number;
  stepBoundFactor: number;
  stepMinMs: number;
  stepConsecutive: number;
  confidence: ConfidenceScales;
}

export type OffsetEstimatorOverrides = Partial<Omit<OffsetEstimatorOptions, 'confidence'>> & {
  confidence?: Partial<ConfidenceScales>;
};

const COUNTS = ['windowSize', 'driftBlock', 'driftHistory', 'delayHistory', 'minDriftPoints', 'stepConsecutive'] as const;
const POSITIVE = ['maxDriftPpm', 'spikeDelayFactor', 'stepBoundFactor'] as const;
const NON_NEGATIVE = ['minDriftSpanMs', 'spikeSlackMs', 'stepMinMs'] as const;

/** Fills defaults and rejects nonsense; a bad option is a programming error, so it throws. */
export function resolveEstimatorOptions(overrides: OffsetEstimatorOverrides = {}): OffsetEstimatorOptions {
  const options: OffsetEstimatorOptions = {
    windowSize: overrides.windowSize ?? DEFAULT_FILTER_WINDOW,
    driftBlock: overrides.driftBlock ?? DEFAULT_DRIFT_BLOCK,
    driftHistory: overrides.driftHistory ?? DEFAULT_DRIFT_HISTORY,
    delayHistory: overrides.delayHistory ?? DEFAULT_DELAY_HISTORY,
    maxDriftPpm: overrides.maxDriftPpm ?? DEFAULT_MAX_DRIFT_PPM,
    minDriftSpanMs: overrides.minDriftSpanMs ?? DEFAULT_MIN_DRIFT_SPAN_MS,
    minDriftPoints: overrides.minDriftPoints ?? DEFAULT_MIN_DRIFT_POINTS,
    spikeDelayFactor: overrides.spikeDelayFactor ?? DEFAULT_SPIKE_DELAY_FACTOR,
    spikeSlackMs: overrides.spikeSlackMs ?? DEFAULT_SPIKE_SLACK_MS,
    stepBoundFactor: overrides.stepBoundFactor ?? DEFAULT_STEP_BOUND_FACTOR,
    stepMinMs: overrides.stepMinMs ?? DEFAULT_STEP_MIN_MS,
    stepConsecutive: overrides.stepConsecutive ?? DEFAULT_STEP_CONSECUTIVE,
    confidence: { ...DEFAULT_CONFIDENCE_SCALES, ...overrides.confidence },
  };
  for (const key of COUNTS) {
    if (!Number.isInteger(options[key]) || options[key] < 1) fail(key, 'a positive integer');
  }
  if (options.minDriftPoints < 2) fail('minDriftPoints', 'at least 2');
  for (const key of POSITIVE) {
    if (!Number.isFinite(options[key]) || options[key] <= 0) fail(key, 'a positive finite number');
  }
  for (const key of NON_NEGATIVE) {
    if (!Number.isFinite(options[key]) || options[key] < 0) fail(key, 'a non-negative finite number');
  }
  for (const [key, value] of Object.entries(options.confidence)) {
    if (!Number.isFinite(value) || value < 0) fail(`confidence.${key}`, 'a non-negative finite number');
  }
  if (options.confidence.errorScaleMs <= 0 || options.confidence.jitterScaleMs <= 0 || options.confidence.ageScaleMs <= 0) {
    fail('confidence', 'positive scales');
  }
  return Object.freeze(options);
}

function fail(path: string, expected: string): never {
  throw new MeshError('INVALID_ARGUMENT', `offset estimator option ${path} must be ${expected}`, { path });
}
