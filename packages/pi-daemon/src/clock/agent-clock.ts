import { MeshClock, OffsetEstimator } from '@mesh30k/shared';
import type { ClockReport, Clock, ExchangeTimestamps, OffsetEstimatorOverrides, Result, SampleOutcome } from '@mesh30k/shared';

/**
 * What a heartbeat says before any exchange has succeeded: no samples (so the lead checks it by
 * id only, docs/protocol.md) and the widest error bound the schema allows.
 */
export const UNSYNCED_ERROR_BOUND_MS = 8.64e15;

/**
 * The agent's two clocks in one place: `local()` (its own clock, or a skewed one in simulation)
 * and `meshNow()` (the lead's clock as estimated from heartbeat exchanges). Every timestamp the
 * agent sends on the wire comes from here.
 */
export class AgentClock {
  readonly local: Clock;
  private readonly estimator: OffsetEstimator;
  private readonly mesh: MeshClock;

  constructor(local: Clock, overrides: OffsetEstimatorOverrides = {}) {
    this.local = local;
    this.estimator = new OffsetEstimator({ ...overrides, clock: local });
    this.mesh = new MeshClock({ local, estimator: this.estimator });
  }

  localNow(): number {
    return this.local.now();
  }

  /** The agent's best estimate of the lead's clock now. Equal to localNow() until synced. */
  meshNow(): number {
    return this.mesh.meshNow();
  }

  toMesh(localMs: number): number {
    return this.mesh.toMesh(localMs);
  }

  /** The local instant at which the lead's clock reads `meshMs` (drift included). */
  toLocal(meshMs: number): number {
    return this.mesh.toLocal(meshMs);
  }

  get synced(): boolean {
    return this.estimator.hasEstimate;
  }

  /** Samples in the clock filter (0 before the first usable exchange). */
  samples(): number {
    // Read before every beat is scheduled: the count alone, not a whole report.
    return this.estimator.sampleCount;
  }

  /** Feeds one heartbeat exchange: t1/t4 on the local clock, t2/t3 on the lead's. */
  addExchange(timestamps: ExchangeTimestamps): Result<SampleOutcome> {
    return this.estimator.addExchange(timestamps);
  }

  /** The `clock` block of the next heartbeat. */
  report(): ClockReport {
    const jitter = this.estimator.jitterMs();
    const report = this.mesh.report();
    if (report === null) {
      return { offset_ms: 0, delay_ms: 0, drift_ppm: 0, confidence: 0, error_bound_ms: UNSYNCED_ERROR_BOUND_MS, samples: 0, jitter_ms: jitter };
    }
    // One literal in the report's key order (a spread of the report costs a few us a beat).
    return {
      offset_ms: report.offset_ms,
      delay_ms: report.delay_ms,
      // The schema bounds these; an estimator far off its fit must not make the heartbeat unsendable.
      drift_ppm: Math.max(-1000, Math.min(1000, report.drift_ppm)),
      confidence: report.confidence,
      error_bound_ms: Math.min(report.error_bound_ms, UNSYNCED_ERROR_BOUND_MS),
      samples: report.samples,
      jitter_ms: jitter,
    };
  }
}
