export { LeadBreakers, NO_SECTOR, isBreakerFailure, type BreakerDeps, type BreakerSettings } from './lead-breakers.js';
export { BREAKERS_STATE_KEY, StoredBreakers, reloadBreakers, restoreBreakers, saveBreakers } from './breaker-memory.js';
export { BreakerHistory, DEFAULT_BREAKER_HISTORY, type BreakerTransitionListener, type BreakerTransitionRecord } from './breaker-history.js';
