export { HEARTBEAT_QUEUE, HeartbeatIngest, heartbeatFrameOf, type HeartbeatFrame, type HeartbeatIngestDeps, type HeartbeatIngestOptions, type SessionDeps, type TaggedFrame } from './heartbeat-ingest.js';
export { SessionDesk, type SessionDeskDeps, type SessionDeskOptions } from './session-desk.js';
export { SessionTable, type LeadSession } from './session-table.js';
export { HeartbeatReplay, type HeartbeatReplayOptions } from './heartbeat-replay.js';
export { CONTROL_STATE_KEY, ControlState, StoredControl } from './control-state.js';
export { IngestCounters, type IngestSnapshot } from './refusals.js';
export { InlineVerifier, type FrameVerifier, type IngestRefusal, type VerifyRules } from './verifier.js';
export { VerifyPool, type VerifyPoolDeps, type VerifyPoolOptions } from './verify-pool.js';
