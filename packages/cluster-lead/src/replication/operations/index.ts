// The operations side of the JetStream store (config store.backend jetstream; ADR 0008,
// "Operations"): runs in flight and their ACKs, history, idempotency keys, conflicts and dead
// letters, sensor readings, mirrored by the acting lead and followed by standbys into their SQLite files.
export { OpsFollower, type OpsFollowerDeps } from './follower.js';
export { OpsMirror, type OpsMirrorDeps } from './mirror.js';
export { opsNames, subjectToken, type OpsNames } from './names.js';
export { ensureOpsStreams, streamConfigs, type OpsLimits } from './streams.js';
export { ConflictEntryJson, DeadLetterEntry, OpsEntry, SensorReadingEntry, decodeEntry, encodeEntry, type ReplicatedEntry } from './entries.js';
