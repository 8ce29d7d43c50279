import { MeshError } from '../lib/errors.js';
import { MeshMode } from '../protocol/enums.js';

/**
 * Operational modes by share of active agents (spec 6.3). The restrictions are data the lead
 * enforces (see admission.ts), not prose, so a dashboard and the lead read the same thing.
 */

/** Lowest active rate for each mode; anything below the last is EMERGENCY. */
export interface ModeThresholds {
  readonly FULL: number;
  readonly DEGRADED_LIGHT: number;
  readonly DEGRADED_MODERATE: number;
  readonly DEGRADED_SEVERE: number;
}

export const MODE_THRESHOLDS: ModeThresholds = Object.freeze({
  FULL: 0.95,
  DEGRADED_LIGHT: 0.8,
  DEGRADED_MODERATE: 0.6,
  DEGRADED_SEVERE: 0.3,
});

/**
 * To move to a better mode the rate must clear that mode's threshold by this much (capped at
 * 1.0); moving to a worse mode is immediate. Two points of the fleet is about one Pi in fifty.
 */
export const MODE_RECOVERY_MARGIN = 0.02;

export interface ModeOptions {
  readonly thresholds?: Partial<ModeThresholds>;
  readonly recoveryMargin?: number;
}

/** Modes from best to worst, as MeshMode lists them. */
export const MODES_BEST_FIRST: readonly MeshMode[] = MeshMode.options;

/** 0 for FULL up to 4 for EMERGENCY. */
export function modeRank(mode: MeshMode): number {
  return MODES_BEST_FIRST.indexOf(mode);
}

/**
 * Share of agents active. An empty registry gives 0: with nobody to act, nothing automated
 * should run, which is what EMERGENCY means.
 */
export function activeRate(active: number, total: number): number {
  if (!(Number.isSafeInteger(active) && Number.isSafeInteger(total) && active >= 0 && active <= total)) {
    throw new MeshError('INVALID_ARGUMENT', `active (${active}) must be an integer in [0, total (${total})]`, {
      path: 'active',
    });
  }
  return total === 0 ? 0 : active / total;
}

/** The mode for a rate, without hysteresis. */
export function modeForActiveRate(rate: number, options: ModeOptions = {}): MeshMode {
  const t = resolveThresholds(options.thresholds);
  checkRate(rate);
  return modeFor(rate, t, 0);
}

/**
 * The mode to be in next, given the current one. Worse is taken at once; better only when the
 * rate clears the better mode's threshold by the recovery margin, so a rate sitting on a
 * boundary does not make the mode flap.
 */
export function nextMode(current: MeshMode, rate: number, options: ModeOptions = {}): MeshMode {
  const t = resolveThresholds(options.thresholds);
  const margin = options.recoveryMargin ?? MODE_RECOVERY_MARGIN;
  if (!(margin >= 0 && margin < 1)) {
    throw new MeshError('INVALID_ARGUMENT', `recoveryMargin must be in [0, 1), got ${margin}`, { path: 'recoveryMargin' });
  }
  checkRate(rate);
  const plain = modeFor(rate, t, 0);
  if (modeRank(plain) >= modeRank(current)) return plain;
  const withMargin = modeFor(rate, t, margin);
  return modeRank(withMargin) < modeRank(current) ? withMargin : current;
}

function modeFor(rate: number, t: ModeThresholds, margin: number): MeshMode {
  const clears = (threshold: number): boolean => rate >= Math.min(1, threshold + margin);
  if (clears(t.FULL)) return 'FULL';
  if (clears(t.DEGRADED_LIGHT)) return 'DEGRADED_LIGHT';
  if (clears(t.DEGRADED_MODERATE)) return 'DEGRADED_MODERATE';
  if (clears(t.DEGRADED_SEVERE)) return 'DEGRADED_SEVERE';
  return 'EMERGENCY';
}

function checkRate(rate: number): void {
  if (!(rate >= 0 && rate <= 1)) throw new MeshError('INVALID_ARGUMENT', `rate must be in [0, 1], got ${rate}`, { path: 'rate' });
}

function resolveThresholds(partial: Partial<ModeThresholds> = {}): ModeThresholds {
  const t = { ...MODE_THRESHOLDS, ...partial };
  const order = [t.FULL, t.DEGRADED_LIGHT, t.DEGRADED_MODERATE, t.DEGRADED_SEVERE];
  const ok = order.every((v, i) => v >= 0 && v <= 1 && (i === 0 || v <= order[i - 1]!));
  if (!ok) {
    throw new MeshError('INVALID_ARGUMENT', 'mode thresholds must lie in [0, 1] and not increase from FULL to SEVERE', {
      path: 'thresholds',
    });
  }
  return t;
}
