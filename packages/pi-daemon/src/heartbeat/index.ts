export { HeartbeatTask } from './heartbeat.js';
export type { HeartbeatDeps, HeartbeatHints, MissReason } from './heartbeat.js';
export { BeatScheduler, DEFAULT_BEATS_PER_TURN } from './scheduler.js';
export type { BeatHandle, BeatSchedulerOptions, BeatTask, QuietWindow } from './scheduler.js';
export { HeartbeatSession, type HeartbeatAuth } from './heartbeat-session.js';
