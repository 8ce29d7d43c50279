import { MeshError } from '../lib/errors.js';
import type { AgentClass, Verb } from '../protocol/enums.js';
import { CLASS_BASE_MS, conditionFactor } from './class-prior.js';
import type { ProcessingConditions } from './processing-estimator.js';

/**
 * The `lead` release mode's processing predictor: the median of an agent's recent processing
 * times. Lead mode is judged by how many agents land near T, and with right-skewed processing
 * times the median is the point that minimises the typical miss, where the mean is pulled late
 * by the tail (DESIGN.md, release modes). Samples are stored divided by their condition factor
 * (the spec's base x (1 + 0.5 weight) x (1 + 0.1 queue)) and the factor of the question is
 * multiplied back, as the ProcessingEstimator does. Each verb has its own window (a `ping`
 * takes a fraction of an `act`), created with its first sample, so an agent that only ever
 * runs one verb holds one small array.
 *
 * Until `minSamples` are recorded the samples that exist are not thrown away: the prediction
 * is their median blended with the fallback the caller gives (the estimator's figure, which is
 * the class prior before any sample; else the class prior), the fallback counting as
 * `priorWeight` samples. With no sample it is the fallback alone. A fleet whose agents differ
 * from their class prior (a slow SD card) is then on its own figures from the first operation,
 * not after the fifth.
 */

/** Samples kept: odd, so the median is one sample; a few dozen follow a change within minutes. */
export const DEFAULT_MEDIAN_WINDOW = 31;
/** Fewer samples than this give a median too noisy to beat the prior. */
export const DEFAULT_MEDIAN_MIN_SAMPLES = 5;
/** Below `minSamples`, the fallback counts as this many samples beside the median of those held. */
export const DEFAULT_MEDIAN_PRIOR_WEIGHT = 1;

export interface ProcessingMedianOptions {
  window?: number;
  minSamples?: number;
  /** Weight of the fallback, in samples, while fewer than `minSamples` are held (>= 0; 0 trusts even one sample). */
  priorWeight?: number;
}

export interface MedianPrediction {
  medianMs: number;
  /** Samples in the window. */
  samples: number;
  /**
   * learned: the window's median; blended: fewer than `minSamples` held, their median and the
   * fallback weighted by count; fallback: no sample, the caller's figure or the class prior.
   */
  source: 'learned' | 'blended' | 'fallback';
}

/** Samples (already divided by their condition factor), oldest first, per verb or 'any'. */
export interface ProcessingMedianSnapshot {
  windows: Record<string, number[]>;
}

/** The newest samples of one verb (or of calls that name none), oldest overwritten. */
class Window {
  readonly ring: Float64Array;
  next = 0;
  size = 0;

  constructor(capacity: number) {
    this.ring = new Float64Array(capacity);
  }

  add(x: number): void {
    this.ring[this.next] = x;
    this.next = (this.next + 1) % this.ring.length;
    if (this.size < this.ring.length) this.size += 1;
  }
}

export class ProcessingMedian {
  private readonly windows = new Map<Verb | 'any', Window>();
  private readonly capacity: number;
  private readonly minSamples: number;
  private readonly priorWeight: number;

  constructor(
    readonly agentClass: AgentClass,
    options: ProcessingMedianOptions = {},
  ) {
    const window = options.window ?? DEFAULT_MEDIAN_WINDOW;
    const minSamples = options.minSamples ?? DEFAULT_MEDIAN_MIN_SAMPLES;
    if (!Number.isInteger(window) || window < 1) throw new MeshError('INVALID_ARGUMENT', `window must be a positive integer, got ${window}`, { path: 'window' });
    if (!Number.isInteger(minSamples) || minSamples < 1 || minSamples > window) {
      throw new MeshError('INVALID_ARGUMENT', `minSamples must be an integer in [1, window], got ${minSamples}`, { path: 'minSamples' });
    }
    const priorWeight = options.priorWeight ?? DEFAULT_MEDIAN_PRIOR_WEIGHT;
    if (!Number.isFinite(priorWeight) || priorWeight < 0) {
      throw new MeshError('INVALID_ARGUMENT', `priorWeight must be a finite number >= 0, got ${priorWeight}`, { path: 'priorWeight' });
    }
    this.capacity = window;
    this.minSamples = minSamples;
    this.priorWeight = priorWeight;
  }

  /** Samples held for a verb (or for calls that named none). */
  samples(verb?: Verb): number {
    return this.windows.get(verb ?? 'any')?.size ?? 0;
  }

  /** Records one measured processing time (receipt to ready) and the conditions it ran under. */
  record(ms: number, conditions: ProcessingConditions = {}): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new MeshError('INVALID_ARGUMENT', `processing time must be a finite number >= 0, got ${ms}`, { path: 'ms' });
    }
    const base = ms / conditionFactor(conditions.payloadWeight ?? 0, conditions.queueDepth ?? 0);
    const key = conditions.verb ?? 'any';
    let window = this.windows.get(key);
    if (window === undefined) {
      window = new Window(this.capacity);
      this.windows.set(key, window);
    }
    window.add(base);
  }

  /** The windows' samples, oldest first, by verb ('any' for calls that named none): what a restart keeps. */
  toJSON(): ProcessingMedianSnapshot {
    const windows: Record<string, number[]> = {};
    for (const [key, window] of this.windows) {
      const start = window.size < window.ring.length ? 0 : window.next;
      windows[key] = Array.from({ length: window.size }, (_, i) => window.ring[(start + i) % window.ring.length]!);
    }
    return { windows };
  }

  /** A predictor holding a snapshot's samples (the newest `window` of each, when it holds more). */
  static fromJSON(agentClass: AgentClass, snapshot: ProcessingMedianSnapshot, options: ProcessingMedianOptions = {}): ProcessingMedian {
    const median = new ProcessingMedian(agentClass, options);
    for (const [key, samples] of Object.entries(snapshot.windows)) {
      const window = new Window(median.capacity);
      for (const x of samples.slice(-median.capacity)) window.add(x);
      median.windows.set(key as Verb | 'any', window);
    }
    return median;
  }

  /**
   * The median for these conditions; below `minSamples`, blended with `fallbackMs` (already
   * scaled to them); `fallbackMs` alone without a sample.
   */
  predict(conditions: ProcessingConditions = {}, fallbackMs?: number): MedianPrediction {
    const factor = conditionFactor(conditions.payloadWeight ?? 0, conditions.queueDepth ?? 0);
    const window = this.windows.get(conditions.verb ?? 'any');
    const size = window?.size ?? 0;
    const fallback = fallbackMs ?? CLASS_BASE_MS[this.agentClass] * factor;
    if (window === undefined || size === 0) return { medianMs: fallback, samples: 0, source: 'fallback' };
    const learned = medianOf(window.ring.subarray(0, size)) * factor;
    if (size >= this.minSamples) return { medianMs: learned, samples: size, source: 'learned' };
    const medianMs = (size * learned + this.priorWeight * fallback) / (size + this.priorWeight);
    return { medianMs, samples: size, source: 'blended' };
  }
}

/** The median of a non-empty sample (the mean of the two middle values for an even count). */
export function medianOf(values: ArrayLike<number>): number {
  if (values.length === 0) throw new MeshError('INVALID_ARGUMENT', 'median of no values', { path: 'values' });
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
