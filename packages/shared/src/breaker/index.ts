export {
  BREAKER_SET_DEFAULTS,
  BreakerSet,
  GLOBAL_TARGET_ID,
  type AgentLocation,
  type BreakerSetEvent,
  type BreakerSetOptions,
  type BreakerStatus,
  type BreakerTarget,
} from './breaker-set.js';
export { CircuitBreaker, type BreakerSnapshot } from './circuit-breaker.js';
export {
  BREAKER_EVENTS,
  breakerActionFor,
  breakerEventName,
  shadowOf,
  type BreakerChange,
  type BreakerEventKind,
  type BreakerEventName,
  type BreakerState,
  type BreakerTransition,
  type ShadowChange,
} from './events.js';
export { BREAKER_DEFAULTS, resolveBreakerOptions, type BreakerOptions } from './options.js';
