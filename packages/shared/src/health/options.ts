import { MeshError } from '../lib/errors.js';

/** Outcomes that carry a fixed score delta. */
export type ScoredOutcome = 'success' | 'cache_hit' | 'error' | 'stall' | 'timeout' | 'cancelled';
/** Every outcome a caller can report; `retry` is penalised by how many retries came in a row. */
export type HealthOutcome = ScoredOutcome | 'retry';

export interface HealthOptions {
  readonly initialScore: number;
  readonly deltas: Readonly<Record<ScoredOutcome, number>>;
  /** The k-th retry in a row costs min(k x retryPenaltyPerAttempt, retryPenaltyMax). */
  readonly retryPenaltyPerAttempt: number;
  readonly retryPenaltyMax: number;
  /** A healthy agent whose score falls below this is quarantined. */
  readonly quarantineBelow: number;
  /** Minimum time in quarantine before a probe may release the agent early. */
  readonly cooldownMs: number;
  /** Quarantine ends by itself after this long; the score climbs linearly to restoreScore meanwhile. */
  readonly autoRecoverAfterMs: number;
  /** Score an agent leaves quarantine with. */
  readonly restoreScore: number;
  /** Length of probation after quarantine. */
  readonly probationMs: number;
  /** Stricter threshold while on probation. */
  readonly probationQuarantineBelow: number;
  /** Score cannot rise above this while on probation. */
  readonly probationScoreCeiling: number;
  /** The n-th quarantine within the window retires the agent instead. */
  readonly retireAfterQuarantines: number;
  readonly retirementWindowMs: number;
}

export type HealthOptionsInput = Partial<Omit<HealthOptions, 'deltas'>> & {
  readonly deltas?: Partial<Record<ScoredOutcome, number>>;
};

/**
 * Every default in one place. Deltas are the field report's figures (ENGINEERING-REALITIES);
 * the timings are ours: short enough that a flapping Pi returns within minutes, long enough
 * that a dead one does not bounce in and out of routing.
 */
export const HEALTH_DEFAULTS: HealthOptions = Object.freeze({
  initialScore: 1,
  deltas: Object.freeze({ success: 0.04, cache_hit: 0.01, error: -0.25, stall: -0.35, timeout: -0.3, cancelled: -0.08 }),
  retryPenaltyPerAttempt: 0.05,
  retryPenaltyMax: 0.25,
  quarantineBelow: 0.3,
  cooldownMs: 60_000,
  autoRecoverAfterMs: 10 * 60_000,
  restoreScore: 0.6,
  probationMs: 15 * 60_000,
  probationQuarantineBelow: 0.5,
  probationScoreCeiling: 0.8,
  retireAfterQuarantines: 3,
  retirementWindowMs: 24 * 60 * 60_000,
});

/** Options this module resolved (frozen): resolving one again returns it, so many HealthScores can share one. */
const RESOLVED = new WeakSet<object>();

export function resolveHealthOptions(input: HealthOptionsInput = {}): HealthOptions {
  if (RESOLVED.has(input)) return input as HealthOptions;
  const o: HealthOptions = {
    ...HEALTH_DEFAULTS,
    ...input,
    deltas: Object.freeze({ ...HEALTH_DEFAULTS.deltas, ...input.deltas }),
  };
  const fail = (path: string, what: string): never => {
    throw new MeshError('INVALID_ARGUMENT', `${path} must be ${what}`, { path });
  };
  const unit = ['initialScore', 'quarantineBelow', 'restoreScore', 'probationQuarantineBelow', 'probationScoreCeiling'] as const;
  for (const key of unit) if (!(o[key] >= 0 && o[key] <= 1)) fail(key, 'in [0, 1]');
  for (const key of ['cooldownMs', 'autoRecoverAfterMs', 'probationMs', 'retirementWindowMs'] as const) {
    if (!(Number.isFinite(o[key]) && o[key] >= 0)) fail(key, 'a non-negative number of ms');
  }
  for (const [k, v] of Object.entries(o.deltas)) if (!(Number.isFinite(v) && Math.abs(v) <= 1)) fail(`deltas.${k}`, 'in [-1, 1]');
  if (!(o.retryPenaltyPerAttempt >= 0 && o.retryPenaltyMax >= 0 && o.retryPenaltyMax <= 1)) {
    fail('retryPenaltyMax', 'in [0, 1] with a non-negative per-attempt penalty');
  }
  // Otherwise a released agent would be quarantined again by its very first outcome check.
  if (o.restoreScore < o.probationQuarantineBelow) fail('restoreScore', 'at least probationQuarantineBelow');
  if (o.probationScoreCeiling < o.restoreScore) fail('probationScoreCeiling', 'at least restoreScore');
  if (o.autoRecoverAfterMs < o.cooldownMs) fail('autoRecoverAfterMs', 'at least cooldownMs');
  if (!(Number.isSafeInteger(o.retireAfterQuarantines) && o.retireAfterQuarantines >= 1)) {
    fail('retireAfterQuarantines', 'a positive integer');
  }
  const resolved = Object.freeze(o);
  RESOLVED.add(resolved);
  return resolved;
}
