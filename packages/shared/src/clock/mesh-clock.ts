import type { Clock } from '../lib/clock.js';
import type { OffsetEstimator, OffsetReport } from './offset-estimator.js';

export interface MeshClockDeps {
  /** This node's own clock. */
  local: Clock;
  /** The estimate of the lead's clock against `local`. */
  estimator: OffsetEstimator;
}

/**
 * Mesh time (the lead's clock) as seen from an agent. It is itself a Clock, so anything that
 * takes a Clock can run on mesh time. Before the first heartbeat the offset is 0 and mesh time
 * is local time; check `estimator.hasEstimate` or the confidence where that matters.
 */
export class MeshClock implements Clock {
  readonly local: Clock;
  readonly estimator: OffsetEstimator;

  constructor(deps: MeshClockDeps) {
    this.local = deps.local;
    this.estimator = deps.estimator;
  }

  now(): number {
    return this.meshNow();
  }

  meshNow(): number {
    return this.toMesh(this.local.now());
  }

  /** Mesh time of a local instant, offset extrapolated with the measured drift. */
  toMesh(localMs: number): number {
    return localMs + this.estimator.offsetAt(localMs);
  }

  /**
   * Local instant of a mesh time, e.g. when a `hold` agent must become READY for target T.
   * Exact inverse of toMesh (up to rounding), drift included.
   */
  toLocal(meshMs: number): number {
    return this.estimator.localAt(meshMs);
  }

  /** Bound on the error of meshNow() right now. */
  errorBoundMs(): number {
    return this.estimator.errorBoundAt(this.local.now());
  }

  report(): OffsetReport | null {
    return this.estimator.report(this.local.now());
  }
}
