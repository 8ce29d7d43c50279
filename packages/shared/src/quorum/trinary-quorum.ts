import { MeshError } from '../lib/errors.js';
import type { TrinaryState } from '../protocol/enums.js';

/**
 * Quorum over trinary answers (spec 5.2): enough READY, few CONFLICT, few still in TRANSIT.
 * A plain majority vote would let a large minority of conflicting agents slip through.
 */

export interface QuorumThresholds {
  readonly requiredReadyRate: number;
  readonly maxConflictRate: number;
  readonly maxTransitRate: number;
}

/** Default thresholds, each overridable per call. */
export const QUORUM_DEFAULTS: QuorumThresholds = Object.freeze({
  /** Share of agents that must be READY. */
  requiredReadyRate: 0.95,
  /** Largest share of CONFLICT answers that is tolerated. */
  maxConflictRate: 0.05,
  /** Largest share still in TRANSIT before the right move is to keep waiting. */
  maxTransitRate: 0.1,
});

export type QuorumDecision = 'PROCEED' | 'WAIT' | 'RESOLVE_CONFLICTS' | 'RETRY';

export interface QuorumInput {
  readonly ready: number;
  readonly transit: number;
  readonly conflict: number;
  /**
   * How many agents were asked. Agents that never answered are counted as TRANSIT, so a
   * silent agent cannot make the ready rate look better than it is. Defaults to the sum.
   */
  readonly expected?: number;
}

export interface QuorumCounts {
  readonly ready: number;
  /** Includes agents that never answered. */
  readonly transit: number;
  readonly conflict: number;
  readonly total: number;
  /** Part of `transit` that never answered at all. */
  readonly unanswered: number;
}

export interface QuorumRates {
  readonly ready: number;
  readonly transit: number;
  readonly conflict: number;
}

export interface QuorumResult {
  readonly decision: QuorumDecision;
  readonly achieved: boolean;
  readonly counts: QuorumCounts;
  readonly rates: QuorumRates;
  /** ready rate - 0.5 x conflict rate when achieved; 0 otherwise. */
  readonly confidence: number;
  readonly reason: string;
  readonly recommendation: string;
}

/** Weight of the conflict rate in the confidence figure (spec 5.2). */
export const CONFLICT_CONFIDENCE_WEIGHT = 0.5;

/** Tallies answers by trinary state. */
export function countTrinary(states: Iterable<TrinaryState>): { ready: number; transit: number; conflict: number } {
  let ready = 0;
  let transit = 0;
  let conflict = 0;
  for (const s of states) {
    if (s === 1) ready++;
    else if (s === -1) conflict++;
    else transit++;
  }
  return { ready, transit, conflict };
}

/**
 * Decides what a scatter-gather does next. Order of the checks follows the spec: PROCEED,
 * then WAIT (not enough ready and too many in transit), then RESOLVE_CONFLICTS, else RETRY.
 *
 * Total of 0 (nobody was asked): there is no evidence either way, and proceeding on an empty
 * target set would report success for an operation that reached no one. The result is
 * RETRY, not achieved, with all rates 0 and a recommendation to check the target selection.
 *
 * Throws MeshError INVALID_ARGUMENT on negative or fractional counts, `expected` below the
 * number of answers, or thresholds outside [0, 1]: these are caller bugs, not network input.
 */
export function trinaryQuorum(input: QuorumInput, thresholds: Partial<QuorumThresholds> = {}): QuorumResult {
  const t = resolveThresholds(thresholds);
  const counts = resolveCounts(input);

  if (counts.total === 0) {
    return {
      decision: 'RETRY',
      achieved: false,
      counts,
      rates: { ready: 0, transit: 0, conflict: 0 },
      confidence: 0,
      reason: 'No agents were targeted, so there is nothing to count',
      recommendation: 'Check the target selection before retrying',
    };
  }

  const rates: QuorumRates = {
    ready: counts.ready / counts.total,
    transit: counts.transit / counts.total,
    conflict: counts.conflict / counts.total,
  };
  const enoughReady = rates.ready >= t.requiredReadyRate;
  const conflictsOk = rates.conflict <= t.maxConflictRate;
  const transitTooHigh = rates.transit > t.maxTransitRate;

  if (enoughReady && conflictsOk) {
    return {
      decision: 'PROCEED',
      achieved: true,
      counts,
      rates,
      confidence: rates.ready - CONFLICT_CONFIDENCE_WEIGHT * rates.conflict,
      reason: `${pct(rates.ready)} ready, ${pct(rates.conflict)} in conflict`,
      recommendation: 'Proceed with the operation',
    };
  }
  if (!enoughReady && transitTooHigh) {
    return {
      decision: 'WAIT',
      achieved: false,
      counts,
      rates,
      confidence: 0,
      reason: `${pct(rates.transit)} of agents are still in transit (limit ${pct(t.maxTransitRate)})`,
      recommendation: 'Widen the arrival window and collect again',
    };
  }
  if (!conflictsOk) {
    return {
      decision: 'RESOLVE_CONFLICTS',
      achieved: false,
      counts,
      rates,
      confidence: 0,
      reason: `${pct(rates.conflict)} of agents reported a conflict (limit ${pct(t.maxConflictRate)})`,
      recommendation: 'Resolve the reported conflicts, then run the operation again',
    };
  }
  return {
    decision: 'RETRY',
    achieved: false,
    counts,
    rates,
    confidence: 0,
    reason: `Only ${pct(rates.ready)} ready (need ${pct(t.requiredReadyRate)})`,
    recommendation: 'Retry with recalibrated impedance compensation',
  };
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function resolveThresholds(partial: Partial<QuorumThresholds>): QuorumThresholds {
  const t = { ...QUORUM_DEFAULTS, ...partial };
  for (const key of ['requiredReadyRate', 'maxConflictRate', 'maxTransitRate'] as const) {
    const v = t[key];
    if (!Number.isFinite(v) || v < 0 || v > 1) {
      throw new MeshError('INVALID_ARGUMENT', `${key} must be a rate in [0, 1], got ${v}`, { path: key });
    }
  }
  return t;
}

function resolveCounts(input: QuorumInput): QuorumCounts {
  for (const key of ['ready', 'transit', 'conflict'] as const) checkCount(input[key], key);
  const answered = input.ready + input.transit + input.conflict;
  const expected = input.expected ?? answered;
  checkCount(expected, 'expected');
  if (expected < answered) {
    throw new MeshError('INVALID_ARGUMENT', `expected (${expected}) is below the ${answered} answers counted`, {
      path: 'expected',
    });
  }
  const unanswered = expected - answered;
  return {
    ready: input.ready,
    transit: input.transit + unanswered,
    conflict: input.conflict,
    total: expected,
    unanswered,
  };
}

function checkCount(n: number, path: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new MeshError('INVALID_ARGUMENT', `${path} must be a non-negative integer, got ${n}`, { path });
  }
}
