import type { Clock } from '../lib/clock.js';
import type { Result } from '../lib/errors.js';
import { ok } from '../lib/errors.js';
import { clockConfidence } from './confidence.js';
import { fitLine } from './drift-fit.js';
import { MIN_DRIFT_UNCERTAINTY_PPM, UNKNOWN_DRIFT_PPM, resolveEstimatorOptions } from './estimator-options.js';
import type { OffsetEstimatorOptions, OffsetEstimatorOverrides } from './estimator-options.js';
import { computeOffset } from './offset.js';
import type { ExchangeTimestamps, OffsetSample } from './offset.js';

const PPM = 1e-6;
/** How many times a measured drift's (2-sigma) uncertainty widens the bounds carried to the newest sample. */
const BOUNDS_DRIFT_SIGMAS = 3;

/**
 * What became of a sample: it is the new reference, it joined the filter without beating the
 * reference, it was a delay spike, it disagrees with the estimate (a possible step), or it
 * completed a step and the estimator restarted from the disagreeing samples.
 */
export type SampleVerdict = 'reference' | 'accepted' | 'spike' | 'suspect' | 'step';

export interface SampleOutcome {
  sample: OffsetSample;
  verdict: SampleVerdict;
}

/** The agent's clock estimate as it travels in a heartbeat (snake_case, as on the wire). */
export interface OffsetReport {
  /** Lead minus agent clock now, in ms. */
  offset_ms: number;
  /** Round-trip delay of the reference sample. */
  delay_ms: number;
  /** Agent clock rate against the lead: positive when the agent clock runs fast; 0 until measured. */
  drift_ppm: number;
  confidence: number;
  /** Bound on |offset_ms - true offset|: half the reference delay plus drift uncertainty since. */
  error_bound_ms: number;
  /** Samples in the clock filter. */
  samples: number;
}

export type OffsetEstimatorConfig = OffsetEstimatorOverrides & {
  /** The local (agent) clock, read for ages when report() is given no time. */
  clock: Clock;
};

/**
 * Estimates lead-minus-local clock offset from heartbeat exchanges.
 *
 * - Clock filter: of the last `windowSize` samples, the reference is the one with the smallest
 *   error bound at the newest sample: delay / 2 (no exchange can be off by more) plus the drift
 *   uncertainty times its age. While the drift is unknown (100 ppm assumed) an old sample
 *   loses to a fresher one within a few seconds; once it is measured the whole window counts.
 * - The offset: each exchange bounds it for certain, t3 - t4 <= offset <= t2 - t1 (no message
 *   arrives before it is sent), and the filter's bounds, carried to the newest sample with the
 *   drift and widened by its uncertainty times their age, are intersected; the estimate is the
 *   middle of what is left. Each side of it is set by that direction's fastest trip in the
 *   window, so with jitter on both legs it is off by half the difference of the two directions'
 *   smallest delays, where the reference sample alone is off by half the difference of one
 *   exchange's two delays (about half the error on a 300 ms link with 0-30 ms of uniform jitter
 *   each way; offset-estimator.property.test.ts). Where the bounds do not meet (a step not yet
 *   detected), the reference is used.
 * - Spikes: a delay far above the normal path delay is kept for jitter only, so a congestion
 *   burst longer than the window cannot hand the reference to a bad sample.
 * - Drift: a least-squares line (offset vs local time) through the smallest-delay sample of
 *   each block of `driftBlock` accepted samples, once `minDriftPoints` of them span
 *   `minDriftSpanMs`; clamped to +-maxDriftPpm. Block minima keep the points low-noise and
 *   evenly spread, and a long span is what beats delay noise.
 * - Step: `stepConsecutive` low-delay samples that all disagree with the estimate, by far more
 *   than their error bound and in the same direction, mean the local clock was stepped; the
 *   estimator restarts from them. A sample received before the previous one (local time went
 *   backwards) restarts it at once.
 */
export class OffsetEstimator {
  private readonly clock: Clock;
  private readonly options: OffsetEstimatorOptions;
  /** Delays of every sample, spikes included (normal delay and jitter). */
  private delays: number[] = [];
  /** The clock filter: accepted samples, oldest first. */
  private filter: OffsetSample[] = [];
  private reference: OffsetSample | undefined;
  /** The offset estimate at one local instant (the newest sample's), which offsetAt carries with the drift. */
  private anchor: { localMs: number; offsetMs: number } | undefined;
  /** Accepted samples since the last drift point. */
  private block: OffsetSample[] = [];
  /** Smallest-delay sample of each block, oldest first: the points of the drift fit. */
  private driftPoints: OffsetSample[] = [];
  private suspects: OffsetSample[] = [];
  /** d(offset)/d(local time), and its uncertainty; 0 and UNKNOWN_DRIFT_PPM until measured. */
  private rate = 0;
  private rateUncertainty = UNKNOWN_DRIFT_PPM * PPM;
  private rateKnown = false;
  private lastReceivedAt: number | undefined;
  private stepCount = 0;

  constructor(config: OffsetEstimatorConfig) {
    const { clock, ...overrides } = config;
    this.clock = clock;
    this.options = resolveEstimatorOptions(overrides);
  }

  /** Feeds one exchange. Bad timestamps are refused and leave the estimate untouched. */
  addExchange(ts: ExchangeTimestamps): Result<SampleOutcome> {
    const computed = computeOffset(ts);
    if (!computed.ok) return computed;
    return ok({ sample: computed.value, verdict: this.add(computed.value) });
  }

  get hasEstimate(): boolean {
    return this.reference !== undefined;
  }

  /** Samples in the filter, as report() counts them (0 without an estimate), without building a report. */
  get sampleCount(): number {
    return this.reference === undefined ? 0 : this.filter.length;
  }

  /** Clock steps detected since construction. */
  get steps(): number {
    return this.stepCount;
  }

  /** Measured drift in ppm (positive: local clock fast), or undefined until enough history. */
  get driftPpm(): number | undefined {
    return this.rateKnown ? -this.rate / PPM : undefined;
  }

  /** Lead minus local clock at a local instant; 0 before any sample. */
  offsetAt(localMs: number): number {
    const anchor = this.anchor;
    if (anchor === undefined) return 0;
    return anchor.offsetMs + this.rate * (localMs - anchor.localMs);
  }

  /**
   * The local instant whose mesh time is `meshMs`: the exact inverse of
   * local + offsetAt(local), which is linear in local with slope 1 + rate.
   */
  localAt(meshMs: number): number {
    const anchor = this.anchor;
    if (anchor === undefined) return meshMs;
    return (meshMs - anchor.offsetMs + this.rate * anchor.localMs) / (1 + this.rate);
  }

  /** Bound on the offset error at a local instant; Infinity before any sample. */
  errorBoundAt(localMs: number): number {
    const ref = this.reference;
    if (ref === undefined) return Infinity;
    return ref.delayMs / 2 + this.rateUncertainty * Math.abs(localMs - ref.localMidMs);
  }

  /** Standard deviation of the last `driftBlock` delays, spikes included (recent jitter). */
  jitterMs(): number {
    const recent = this.delays.slice(-this.options.driftBlock);
    if (recent.length < 2) return 0;
    const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
    const variance = recent.reduce((a, d) => a + (d - mean) ** 2, 0) / recent.length;
    return Math.sqrt(variance);
  }

  /** See confidence.ts for the formula. */
  confidence(localNow: number = this.clock.now()): number {
    if (this.reference === undefined || this.lastReceivedAt === undefined) return 0;
    return clockConfidence(
      {
        samples: this.filter.length,
        // Full count once a drift block is in: a 32-sample window must not make a young estimate look bad.
        windowSize: Math.min(this.options.windowSize, this.options.driftBlock),
        errorBoundMs: this.errorBoundAt(localNow),
        jitterMs: this.jitterMs(),
        ageMs: localNow - this.lastReceivedAt,
      },
      this.options.confidence,
    );
  }

  /** The heartbeat's clock block, or null before the first usable sample. */
  report(localNow: number = this.clock.now()): OffsetReport | null {
    const ref = this.reference;
    if (ref === undefined) return null;
    return {
      offset_ms: this.offsetAt(localNow),
      delay_ms: ref.delayMs,
      drift_ppm: this.driftPpm ?? 0,
      confidence: this.confidence(localNow),
      error_bound_ms: this.errorBoundAt(localNow),
      samples: this.filter.length,
    };
  }

  /** Forgets every sample; the delay history survives, since a step does not change the path. */
  reset(): void {
    this.filter = [];
    this.driftPoints = [];
    this.block = [];
    this.suspects = [];
    this.reference = undefined;
    this.anchor = undefined;
    this.setRateUnknown();
  }

  private add(sample: OffsetSample): SampleVerdict {
    if (this.lastReceivedAt !== undefined && sample.receivedAtMs < this.lastReceivedAt) {
      this.restartFrom([sample], sample.delayMs);
      return 'step';
    }
    this.lastReceivedAt = sample.receivedAtMs;
    const normalDelay = this.delays.length > 0 ? Math.min(...this.delays) : undefined;
    this.recordDelay(sample.delayMs);
    const { spikeDelayFactor, spikeSlackMs } = this.options;
    if (normalDelay !== undefined && sample.delayMs > normalDelay * spikeDelayFactor + spikeSlackMs) return 'spike';

    if (this.reference !== undefined && this.disagrees(sample)) return this.suspect(sample);
    this.suspects = [];
    return this.accept(sample) ? 'reference' : 'accepted';
  }

  private recordDelay(delayMs: number): void {
    this.delays.push(delayMs);
    const keep = Math.max(this.options.delayHistory, this.options.windowSize);
    if (this.delays.length > keep) this.delays.splice(0, this.delays.length - keep);
  }

  private disagrees(sample: OffsetSample): boolean {
    const bound = sample.delayMs / 2 + this.errorBoundAt(sample.localMidMs);
    const residual = sample.offsetMs - this.offsetAt(sample.localMidMs);
    return Math.abs(residual) > this.options.stepBoundFactor * bound + this.options.stepMinMs;
  }

  private suspect(sample: OffsetSample): SampleVerdict {
    this.suspects.push(sample);
    // Noise does not line up; a step does. Drop the oldest suspects until the rest agree.
    while (this.suspects.length > 1 && !this.consistent(this.suspects)) this.suspects.shift();
    if (this.suspects.length < this.options.stepConsecutive) return 'suspect';
    this.restartFrom(this.suspects, undefined);
    return 'step';
  }

  /** Same side of the estimate, and within each other's error bounds. */
  private consistent(samples: readonly OffsetSample[]): boolean {
    const residuals = samples.map((s) => s.offsetMs - this.offsetAt(s.localMidMs));
    if (!residuals.every((r) => r > 0) && !residuals.every((r) => r < 0)) return false;
    const maxDelay = Math.max(...samples.map((s) => s.delayMs));
    const spread = Math.max(...residuals) - Math.min(...residuals);
    return spread <= this.options.stepBoundFactor * maxDelay + this.options.stepMinMs;
  }

  private restartFrom(seed: readonly OffsetSample[], delayMs: number | undefined): void {
    const samples = [...seed];
    this.reset();
    this.stepCount += 1;
    if (delayMs !== undefined) this.recordDelay(delayMs);
    for (const s of samples) this.accept(s);
    this.lastReceivedAt = samples[samples.length - 1]?.receivedAtMs ?? this.lastReceivedAt;
  }

  /** Adds to the filter; returns whether the sample became the reference. */
  private accept(sample: OffsetSample): boolean {
    this.filter.push(sample);
    if (this.filter.length > this.options.windowSize) this.filter.shift();
    this.block.push(sample);
    if (this.block.length >= this.options.driftBlock) {
      this.driftPoints.push(minDelay(this.block));
      this.block = [];
      if (this.driftPoints.length > this.options.driftHistory) this.driftPoints.shift();
      this.refitDrift();
    }
    const best = this.bestAt(sample.localMidMs);
    const changed = best !== this.reference;
    this.reference = best;
    this.anchor = this.intersectAt(sample.localMidMs, best);
    return changed && best === sample;
  }

  /**
   * The middle of the filter's offset bounds at `localMs` (each exchange's t3 - t4 .. t2 - t1,
   * carried there with the drift and widened by its uncertainty times the age); the
   * reference's offset where they do not meet. A measured drift's uncertainty is taken
   * BOUNDS_DRIFT_SIGMAS times over: a fit bent by a step too small to detect is off by more
   * than its own two standard errors, and old bounds carried with it would pull the middle.
   */
  private intersectAt(localMs: number, reference: OffsetSample): { localMs: number; offsetMs: number } {
    const uncertainty = this.rateKnown ? BOUNDS_DRIFT_SIGMAS * this.rateUncertainty : this.rateUncertainty;
    let lower = -Infinity;
    let upper = Infinity;
    for (const s of this.filter) {
      const age = localMs - s.localMidMs;
      const carried = s.offsetMs + this.rate * age;
      const halfWidth = s.delayMs / 2 + uncertainty * Math.abs(age);
      if (carried - halfWidth > lower) lower = carried - halfWidth;
      if (carried + halfWidth < upper) upper = carried + halfWidth;
    }
    const offsetMs = lower <= upper ? (lower + upper) / 2 : reference.offsetMs + this.rate * (localMs - reference.localMidMs);
    return { localMs, offsetMs };
  }

  /** The filter's sample with the smallest error bound at `localMs`; `<=` keeps the newest of equals. */
  private bestAt(localMs: number): OffsetSample {
    let best = this.filter[0] as OffsetSample;
    let bestBound = Infinity;
    for (const s of this.filter) {
      const bound = s.delayMs / 2 + this.rateUncertainty * Math.abs(localMs - s.localMidMs);
      if (bound <= bestBound) {
        best = s;
        bestBound = bound;
      }
    }
    return best;
  }

  private refitDrift(): void {
    const { minDriftPoints, minDriftSpanMs, maxDriftPpm } = this.options;
    if (this.driftPoints.length < minDriftPoints) return this.setRateUnknown();
    const fit = fitLine(this.driftPoints.map((p) => ({ x: p.localMidMs, y: p.offsetMs })));
    if (fit === undefined || fit.spanX < minDriftSpanMs) return this.setRateUnknown();
    const maxRate = maxDriftPpm * PPM;
    this.rate = Math.min(maxRate, Math.max(-maxRate, fit.slope));
    // Two standard errors, floored (a fit is never perfect) and capped (nor worse than the clamp).
    this.rateUncertainty = Math.min(maxRate, Math.max(MIN_DRIFT_UNCERTAINTY_PPM * PPM, 2 * fit.slopeStdError));
    this.rateKnown = true;
  }

  private setRateUnknown(): void {
    this.rate = 0;
    this.rateUncertainty = UNKNOWN_DRIFT_PPM * PPM;
    this.rateKnown = false;
  }
}

/** The smallest-delay sample; `<=` keeps the newest of equal delays (same quality, less extrapolation). */
function minDelay(samples: readonly OffsetSample[]): OffsetSample {
  let best = samples[0] as OffsetSample;
  for (const s of samples) if (s.delayMs <= best.delayMs) best = s;
  return best;
}
