export { CONFLICT_EVENTS, ConflictDesk, type ConflictArrival, type ConflictDeskDeps, type ConflictRecord, type ParentEscalation } from './conflict-desk.js';
export { CONFLICT_QUEUE_GROUP, ConflictIntake, type ConflictIntakeDeps } from './conflict-intake.js';
export { ConflictRetention, type ConflictRetentionDeps, type ConflictRetentionOptions } from './conflict-retention.js';
