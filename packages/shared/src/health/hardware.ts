import { MeshError } from '../lib/errors.js';
import type { SystemHealth } from '../protocol/health.js';

/**
 * What the Pi's own health block says about its fitness for timed work. A Pi that is
 * under-volted or throttled right now still answers, but slower and less predictably, so the
 * lead counts it as degraded (routable, not healthy); flags that only say "since boot" are shown
 * to the operator and do not degrade.
 */
export type HardwareCondition = 'under_voltage' | 'throttled' | 'hot';

export interface HardwareThresholds {
  /** Above this temperature (°C) a Pi counts as hot; the Pi 4 firmware starts capping at 80. */
  readonly hotAboveC: number;
  /** Under-voltage now degrades the agent. */
  readonly degradeOnUnderVoltage: boolean;
  /** Throttling, a capped clock or the soft temperature limit now degrade the agent. */
  readonly degradeOnThrottled: boolean;
  /** Being hot degrades the agent (before the firmware throttles it). */
  readonly degradeOnHot: boolean;
}

export const HARDWARE_THRESHOLDS: HardwareThresholds = Object.freeze({
  hotAboveC: 80,
  degradeOnUnderVoltage: true,
  degradeOnThrottled: true,
  degradeOnHot: true,
});

export interface HardwareAssessment {
  /** Conditions present now, in a fixed order. */
  readonly conditions: readonly HardwareCondition[];
  /** At least one present condition is configured to degrade. */
  readonly degraded: boolean;
}

const NONE: HardwareAssessment = Object.freeze({ conditions: Object.freeze([]), degraded: false });

export function resolveHardwareThresholds(input: Partial<HardwareThresholds> = {}): HardwareThresholds {
  const t = { ...HARDWARE_THRESHOLDS, ...input };
  if (!(Number.isFinite(t.hotAboveC) && t.hotAboveC >= -40 && t.hotAboveC <= 125)) {
    throw new MeshError('INVALID_ARGUMENT', `hotAboveC must be a temperature in [-40, 125] °C, got ${t.hotAboveC}`, { path: 'hotAboveC' });
  }
  return Object.freeze(t);
}

/** The conditions in `health` and whether they degrade the agent under `thresholds`. */
export function assessHardware(health: Pick<SystemHealth, 'temperature_c' | 'throttle'>, thresholds: HardwareThresholds = HARDWARE_THRESHOLDS): HardwareAssessment {
  const throttle = health.throttle;
  const underVoltage = throttle?.under_voltage === true;
  const throttled = throttle !== null && (throttle.throttled || throttle.freq_capped || throttle.soft_temp_limit);
  const hot = health.temperature_c !== null && health.temperature_c > thresholds.hotAboveC;
  if (!underVoltage && !throttled && !hot) return NONE;
  const conditions: HardwareCondition[] = [];
  if (underVoltage) conditions.push('under_voltage');
  if (throttled) conditions.push('throttled');
  if (hot) conditions.push('hot');
  const degraded = (underVoltage && thresholds.degradeOnUnderVoltage) || (throttled && thresholds.degradeOnThrottled) || (hot && thresholds.degradeOnHot);
  return { conditions, degraded };
}
