export { LeadBreakers, NO_SECTOR, isBreakerFailure, type BreakerDeps, type BreakerSettings } from './lead-breakers.js';
