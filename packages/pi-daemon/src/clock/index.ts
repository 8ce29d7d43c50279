export { AgentClock, UNSYNCED_ERROR_BOUND_MS } from './agent-clock.js';
export { MAX_SIMULATED_DRIFT_PPM, SkewedClock } from './skewed-clock.js';
export type { SkewOptions } from './skewed-clock.js';
export { monotonicMs, trueClock } from './true-clock.js';
