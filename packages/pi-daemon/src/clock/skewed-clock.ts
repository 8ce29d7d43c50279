import { MeshError, type Clock } from '@mesh30k/shared';

const PPM = 1e-6;
/** A crystal is within ~100 ppm; beyond this a simulated clock would only test nonsense. */
export const MAX_SIMULATED_DRIFT_PPM = 1000;

export interface SkewOptions {
  /** Added to the base clock at the anchor instant, ms (positive: this clock is ahead). */
  offsetMs: number;
  /** Rate error in ppm (positive: this clock runs fast). */
  driftPpm: number;
  /** Base-clock instant where the offset is exactly offsetMs; default: construction time. */
  anchorMs?: number;
}

/**
 * A clock that is wrong in a known way: a fixed offset plus a drift over a base clock. Virtual
 * agents run on one, so offset estimation is exercised; since the base clock is known, tests
 * can turn an agent's timestamps back into true time with `toBase`.
 */
export class SkewedClock implements Clock {
  readonly offsetMs: number;
  readonly driftPpm: number;
  private readonly anchor: number;
  private readonly rate: number;

  constructor(
    private readonly base: Clock,
    options: SkewOptions,
  ) {
    if (!Number.isFinite(options.offsetMs)) throw new MeshError('INVALID_ARGUMENT', 'offsetMs must be finite', { path: 'offsetMs' });
    if (!Number.isFinite(options.driftPpm) || Math.abs(options.driftPpm) > MAX_SIMULATED_DRIFT_PPM) {
      throw new MeshError('INVALID_ARGUMENT', `driftPpm must be within +-${MAX_SIMULATED_DRIFT_PPM}`, { path: 'driftPpm' });
    }
    this.offsetMs = options.offsetMs;
    this.driftPpm = options.driftPpm;
    this.rate = options.driftPpm * PPM;
    this.anchor = options.anchorMs ?? base.now();
  }

  now(): number {
    return this.fromBase(this.base.now());
  }

  /** This clock's reading at a base-clock instant. */
  fromBase(baseMs: number): number {
    return baseMs + this.offsetMs + (baseMs - this.anchor) * this.rate;
  }

  /** The base-clock instant at which this clock reads `localMs` (exact inverse of fromBase). */
  toBase(localMs: number): number {
    return (localMs - this.offsetMs + this.anchor * this.rate) / (1 + this.rate);
  }
}
