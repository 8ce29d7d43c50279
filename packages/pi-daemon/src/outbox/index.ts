export {
  AGENT_DB_FILE,
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_JOURNAL_SIZE_LIMIT_BYTES,
  DEFAULT_WAL_AUTOCHECKPOINT_PAGES,
  agentDatabasePath,
  createDatabase,
} from './database.js';
export type { AgentDatabase, CheckpointMode, CheckpointResult, DatabaseOptions } from './database.js';
export type { RecoveryReport } from './recovery.js';
export { SqliteOutbox } from './sqlite-outbox.js';
export type { SqliteOutboxOptions } from './sqlite-outbox.js';
export { openAgentStores } from './stores.js';
export type { AgentStores, AgentStoresOptions } from './stores.js';
export { DEFAULT_DEAD_LETTER_MAX_AGE_MS, DEFAULT_DEAD_LETTER_MAX_ENTRIES, readDeadLetters } from './dead-letters.js';
export type { DeadLetterRetention } from './dead-letters.js';
