/**
 * The lead's estimate of one Worker's clock, from its PING/PONG exchanges.
 *
 * Roles are the reverse of a heartbeat: the lead stamps t1 and t4 (lead clock = mesh time),
 * the Worker t2 and t3. shared's OffsetEstimator is fed the exchange as it is, with the lead
 * as its "local" side, so it estimates Worker minus lead as a function of lead time, with the
 * same clock filter, spike rejection, drift fit and step detection as every agent gets.
 * The Worker wants the opposite sign (mesh = Worker clock + clock_offset_ms), so
 *
 *     clock_offset_ms(at mesh instant m) = -estimator.offsetAt(m)
 *
 * and extrapolating to T is simply offsetAt(T): the estimator's drift line runs on lead time.
 */
import { OffsetEstimator, type Clock, type ClockReport, type OffsetEstimatorOverrides, type Result, type SampleOutcome } from '@mesh30k/shared';

const PPM = 1e-6;
/** ClockReport's drift bound. */
const MAX_REPORTED_DRIFT_PPM = 1000;

export interface EdgeClockReading {
  /** mesh - Worker clock at the given mesh instant. */
  clockOffsetMs: number;
  /** Where it came from: the clock filter, or the rough /v1/health bootstrap. */
  source: 'exchange' | 'bootstrap';
}

export class EdgeClock {
  readonly estimator: OffsetEstimator;
  /** mesh - Worker clock from GET /v1/health (now_local against the round trip's midpoint). */
  private bootstrapOffsetMs: number | null = null;
  private bootstrapErrorMs = Infinity;

  constructor(leadClock: Clock, overrides: OffsetEstimatorOverrides = {}) {
    this.estimator = new OffsetEstimator({ clock: leadClock, ...overrides });
  }

  get hasEstimate(): boolean {
    return this.estimator.hasEstimate;
  }

  get hasBootstrap(): boolean {
    return this.bootstrapOffsetMs !== null;
  }

  /** One PING/PONG: t1, t4 on the lead clock; t2, t3 from the PONG (Worker clock). */
  addExchange(ts: { t1: number; t2: number; t3: number; t4: number }): Result<SampleOutcome> {
    return this.estimator.addExchange(ts);
  }

  /**
   * A rough offset from GET /v1/health: the Worker read now_local somewhere inside the round
   * trip [t1, t4] (lead clock), so mesh - Worker = midpoint - now_local, within +-(t4 - t1)/2
   * plus the Worker clock's 1 ms granularity. Keeps the most precise one seen.
   */
  bootstrap(t1: number, nowLocal: number, t4: number): void {
    const errorMs = (t4 - t1) / 2 + 1;
    if (errorMs > this.bootstrapErrorMs && this.bootstrapOffsetMs !== null) return;
    this.bootstrapOffsetMs = t1 + (t4 - t1) / 2 - nowLocal;
    this.bootstrapErrorMs = errorMs;
  }

  /** Forgets the bootstrap (a PING was refused as expired or from the future: the clock moved). */
  dropBootstrap(): void {
    this.bootstrapOffsetMs = null;
    this.bootstrapErrorMs = Infinity;
  }

  /** mesh - Worker clock at mesh instant `meshMs`; null with neither an exchange nor a bootstrap. */
  offsetAt(meshMs: number): EdgeClockReading | null {
    if (this.estimator.hasEstimate) return { clockOffsetMs: -this.estimator.offsetAt(meshMs), source: 'exchange' };
    if (this.bootstrapOffsetMs !== null) return { clockOffsetMs: this.bootstrapOffsetMs, source: 'bootstrap' };
    return null;
  }

  /**
   * The Worker's clock as a heartbeat's ClockReport would state it (lead minus agent, at the
   * agent-clock instant `atLocalMs`), so the registry treats it like any agent's report.
   * Drift: the estimator's rate is d(Worker - lead)/d(lead), positive when the Worker runs
   * fast, which is the agent's drift_ppm convention.
   */
  report(meshNow: number): { clock: ClockReport; atLocalMs: number } | null {
    const report = this.estimator.report(meshNow);
    if (report === null) return null;
    const workerMinusLead = this.estimator.offsetAt(meshNow);
    const estimatorDrift = this.estimator.driftPpm ?? 0;
    const drift = Math.max(-MAX_REPORTED_DRIFT_PPM, Math.min(MAX_REPORTED_DRIFT_PPM, -estimatorDrift));
    return {
      atLocalMs: meshNow + workerMinusLead,
      clock: {
        offset_ms: -workerMinusLead,
        delay_ms: report.delay_ms,
        drift_ppm: Object.is(drift, -0) ? 0 : drift,
        confidence: report.confidence,
        error_bound_ms: report.error_bound_ms * (1 + Math.abs(drift) * PPM),
        samples: report.samples,
        jitter_ms: this.estimator.jitterMs(),
      },
    };
  }
}
