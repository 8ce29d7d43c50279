export { HEARTBEAT_QUEUE, HeartbeatIngest, type HeartbeatIngestDeps, type HeartbeatIngestOptions } from './heartbeat-ingest.js';
export { HeartbeatReplay, type HeartbeatReplayOptions } from './heartbeat-replay.js';
export { ControlState } from './control-state.js';
export { IngestCounters } from './refusals.js';
export { InlineVerifier, type FrameVerifier, type IngestRefusal, type VerifyRules } from './verifier.js';
export { VerifyPool, type VerifyPoolDeps, type VerifyPoolOptions } from './verify-pool.js';
