export { HEALTH_EVENTS, type HealthChange, type HealthEvent, type HealthEventName, type HealthState } from './events.js';
export { HealthScore, type HealthSnapshot } from './health-score.js';
export {
  HEALTH_DEFAULTS,
  resolveHealthOptions,
  type HealthOptions,
  type HealthOptionsInput,
  type HealthOutcome,
  type ScoredOutcome,
} from './options.js';
export {
  HARDWARE_THRESHOLDS,
  assessHardware,
  resolveHardwareThresholds,
  type HardwareAssessment,
  type HardwareCondition,
  type HardwareThresholds,
} from './hardware.js';
