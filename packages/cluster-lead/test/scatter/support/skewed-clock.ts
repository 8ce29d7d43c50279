// A simulated agent's clock: the true clock (the lead's, on one machine) plus a fixed skew and
// a drift, so offset estimation is exercised and the true error of every instant is known.
import type { Clock } from '@mesh30k/shared';

const PPM = 1e-6;

export class SkewedClock implements Clock {
  constructor(
    private readonly truth: Clock,
    readonly skewMs: number,
    readonly driftPpm: number,
    private readonly epochMs: number,
  ) {}

  now(): number {
    return this.toLocal(this.truth.now());
  }

  toLocal(trueMs: number): number {
    return trueMs + this.skewMs + this.driftPpm * PPM * (trueMs - this.epochMs);
  }

  /** The true instant at which this clock reads localMs. */
  toTrue(localMs: number): number {
    return (localMs - this.skewMs + this.driftPpm * PPM * this.epochMs) / (1 + this.driftPpm * PPM);
  }
}
