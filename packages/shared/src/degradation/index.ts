export { admitOperation, type Admission, type OperationRequest, type Refusal, type RefusalCode } from './admission.js';
export {
  MODES_BEST_FIRST,
  MODE_RECOVERY_MARGIN,
  MODE_THRESHOLDS,
  activeRate,
  modeForActiveRate,
  modeRank,
  nextMode,
  type ModeOptions,
  type ModeThresholds,
} from './modes.js';
export {
  BACKGROUND_PRIORITY,
  CRITICAL_PRIORITY,
  DEGRADED_MAX_SCATTER,
  MODE_RESTRICTIONS,
  URGENT_PRIORITY,
  restrictionsFor,
  type ModeRestrictions,
} from './restrictions.js';
