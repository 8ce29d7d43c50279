/** Replay protection: each message id accepted once inside its time window. */
export {
  DEFAULT_REPLAY_MAX_ENTRIES,
  DEFAULT_REPLAY_SKEW_MS,
  DEFAULT_REPLAY_TTL_MS,
  MAX_REPLAY_ID_LENGTH,
  ReplayGuard,
} from './replay-guard.js';
export type { ReplayGuardOptions, ReplayGuardStats } from './replay-guard.js';
