import { MeshError } from '../lib/errors.js';

/**
 * Exponentially weighted mean and variance.
 *
 * The state is three numbers (count, mean, variance) in consecutive slots of an array, so that
 * callers holding many of them (one per verb per agent on a lead) can pack several into one
 * array and call `ewmaStep` on a slot offset instead of allocating objects.
 *
 * Warm-up: sample n uses weight max(alpha, 1/n), so the first ~1/alpha samples give their
 * plain arithmetic mean and (population) variance, and only then does older data start to
 * fade. Without it the first sample would dominate for a long time.
 */

/** Half-life, in samples, used when neither alpha nor half-life is given. */
export const DEFAULT_EWMA_HALF_LIFE = 20;

/** Anything indexable and writable: a Float64Array, or a plain number[] (smaller in V8). */
export interface NumberSlots {
  [index: number]: number;
}

/** Slots of one EWMA state inside a NumberSlots. */
export const EWMA_SLOTS = 3;
const COUNT = 0;
const MEAN = 1;
const VARIANCE = 2;

/** alpha such that a sample's weight halves after `halfLife` further samples: 1 - 2^(-1/h). */
export function alphaFromHalfLife(halfLife: number): number {
  if (!Number.isFinite(halfLife) || halfLife <= 0) {
    throw new MeshError('INVALID_ARGUMENT', `half-life must be a positive finite number, got ${halfLife}`, {
      path: 'halfLife',
    });
  }
  return 1 - Math.pow(2, -1 / halfLife);
}

export interface EwmaOptions {
  /** Weight of each new sample, in (0, 1]. Wins over `halfLife`. */
  alpha?: number;
  /** Half-life in samples (not in time). */
  halfLife?: number;
}

/** Resolves options to an alpha, validating it. */
export function resolveAlpha(options: EwmaOptions = {}): number {
  const alpha = options.alpha ?? alphaFromHalfLife(options.halfLife ?? DEFAULT_EWMA_HALF_LIFE);
  if (!Number.isFinite(alpha) || alpha <= 0 || alpha > 1) {
    throw new MeshError('INVALID_ARGUMENT', `alpha must be in (0, 1], got ${alpha}`, { path: 'alpha' });
  }
  return alpha;
}

/**
 * Folds sample `x` into the EWMA state at `state[offset..offset+2]`.
 * Variance update after West (1979) / Finch (2009): with d = x - mean and a the weight,
 * mean += a*d and var = (1 - a) * (var + a*d*d), which equals Welford's population variance
 * while a = 1/n.
 */
export function ewmaStep(state: NumberSlots, offset: number, alpha: number, x: number): void {
  const n = (state[offset + COUNT] ?? 0) + 1;
  const a = Math.max(alpha, 1 / n);
  const mean = state[offset + MEAN] ?? 0;
  const variance = state[offset + VARIANCE] ?? 0;
  const d = x - mean;
  const inc = a * d;
  state[offset + COUNT] = n;
  state[offset + MEAN] = mean + inc;
  state[offset + VARIANCE] = (1 - a) * (variance + d * inc);
}

/** A single EWMA; see the module comment. */
export class Ewma {
  readonly alpha: number;
  private readonly state = new Float64Array(EWMA_SLOTS);

  constructor(options: EwmaOptions = {}) {
    this.alpha = resolveAlpha(options);
  }

  /** Adds one sample. Non-finite samples are a caller bug and throw. */
  update(x: number): void {
    if (!Number.isFinite(x)) {
      throw new MeshError('INVALID_ARGUMENT', `EWMA sample must be finite, got ${x}`);
    }
    ewmaStep(this.state, 0, this.alpha, x);
  }

  /** Samples seen so far. */
  get count(): number {
    return this.state[COUNT] ?? 0;
  }

  /** Weighted mean, or undefined before the first sample. */
  get mean(): number | undefined {
    return this.count === 0 ? undefined : this.state[MEAN];
  }

  /** Weighted (population) variance; 0 before the second sample. */
  get variance(): number {
    return this.state[VARIANCE] ?? 0;
  }

  get stdDev(): number {
    return Math.sqrt(this.variance);
  }

  reset(): void {
    this.state.fill(0);
  }
}
