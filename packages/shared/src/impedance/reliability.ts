import { MeshError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';

/** Window of the success rate (spec 4.1: success rate over the last hour). */
export const RELIABILITY_WINDOW_MS = 3_600_000;
/** One bucket per minute. */
export const DEFAULT_RELIABILITY_BUCKETS = 60;
/** Reliability reported when the window holds no outcomes and no prior is set. */
export const RELIABILITY_WITHOUT_DATA = 1;

export interface ReliabilityOptions {
  windowMs?: number;
  buckets?: number;
  /**
   * Pseudo-counts added to the window (a Beta prior), e.g. { successes: 9, failures: 1 } to
   * start new agents at 0.9 and keep one early failure from reading as 0. Default none.
   */
  prior?: { successes: number; failures: number };
}

export interface ReliabilityCounts {
  successes: number;
  failures: number;
}

/**
 * Success rate over a sliding window, kept as time-bucketed counters: `buckets` slots of
 * windowMs / buckets each, reused round-robin, so memory is fixed and recording is O(1).
 * The window is the bucket holding `now` plus the buckets - 1 before it, so it covers between
 * windowMs - bucket and windowMs of history; an outcome leaves it within one bucket of
 * turning windowMs old. Outcomes stamped before the oldest live bucket are dropped.
 */
export class ReliabilityTracker {
  private readonly bucketMs: number;
  private readonly successes: Float64Array;
  private readonly failures: Float64Array;
  /** Bucket number (floor(t / bucketMs)) each slot currently holds. */
  private readonly epochs: Float64Array;
  private readonly prior: ReliabilityCounts;

  constructor(
    private readonly deps: { clock: Clock },
    options: ReliabilityOptions = {},
  ) {
    const windowMs = options.windowMs ?? RELIABILITY_WINDOW_MS;
    const buckets = options.buckets ?? DEFAULT_RELIABILITY_BUCKETS;
    if (!Number.isInteger(buckets) || buckets < 1) {
      throw new MeshError('INVALID_ARGUMENT', `buckets must be a positive integer, got ${buckets}`, {
        path: 'buckets',
      });
    }
    if (!Number.isFinite(windowMs) || windowMs <= 0) {
      throw new MeshError('INVALID_ARGUMENT', `windowMs must be positive, got ${windowMs}`, { path: 'windowMs' });
    }
    const prior = options.prior ?? { successes: 0, failures: 0 };
    if (!(prior.successes >= 0 && prior.failures >= 0 && Number.isFinite(prior.successes + prior.failures))) {
      throw new MeshError('INVALID_ARGUMENT', 'prior counts must be finite and >= 0', { path: 'prior' });
    }
    this.prior = { ...prior };
    this.bucketMs = windowMs / buckets;
    this.successes = new Float64Array(buckets);
    this.failures = new Float64Array(buckets);
    this.epochs = new Float64Array(buckets).fill(-Infinity);
  }

  /** Records one outcome at `at` (default: now). */
  record(success: boolean, at: number = this.deps.clock.now()): void {
    const epoch = Math.floor(at / this.bucketMs);
    const slot = this.slotOf(epoch);
    const held = this.epochs[slot] ?? -Infinity;
    if (held > epoch) return; // the slot already holds a newer bucket: too old to count
    if (held < epoch) {
      this.epochs[slot] = epoch;
      this.successes[slot] = 0;
      this.failures[slot] = 0;
    }
    const counters = success ? this.successes : this.failures;
    counters[slot] = (counters[slot] ?? 0) + 1;
  }

  recordSuccess(at?: number): void {
    this.record(true, at);
  }

  recordFailure(at?: number): void {
    this.record(false, at);
  }

  /** Outcomes inside the window ending at `now` (prior excluded). */
  counts(now: number = this.deps.clock.now()): ReliabilityCounts {
    const current = Math.floor(now / this.bucketMs);
    const oldest = current - this.epochs.length + 1;
    let successes = 0;
    let failures = 0;
    for (let slot = 0; slot < this.epochs.length; slot++) {
      const epoch = this.epochs[slot] ?? -Infinity;
      if (epoch >= oldest && epoch <= current) {
        successes += this.successes[slot] ?? 0;
        failures += this.failures[slot] ?? 0;
      }
    }
    return { successes, failures };
  }

  /** Success rate in [0, 1] over the window, with the prior folded in. */
  score(now: number = this.deps.clock.now()): number {
    const { successes, failures } = this.counts(now);
    const s = successes + this.prior.successes;
    const total = s + failures + this.prior.failures;
    return total === 0 ? RELIABILITY_WITHOUT_DATA : s / total;
  }

  private slotOf(epoch: number): number {
    const n = this.epochs.length;
    return ((epoch % n) + n) % n;
  }
}
