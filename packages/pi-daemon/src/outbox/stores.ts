/**
 * The composition root's one call: open `<data_dir>/agent.db` and the two stores on it.
 */
import type { Logger } from 'pino';
import { SqliteStateStore } from '../state/sqlite-state-store.js';
import { agentDatabasePath, createDatabase } from './database.js';
import type { AgentDatabase, DatabaseOptions } from './database.js';
import type { DeadLetterRetention } from './dead-letters.js';
import { SqliteOutbox } from './sqlite-outbox.js';

export interface AgentStoresOptions extends Omit<DatabaseOptions, 'logger'> {
  dataDir: string;
  outboxMaxEntries: number;
  deadLetters?: Partial<DeadLetterRetention>;
  logger?: Logger;
}

export interface AgentStores {
  database: AgentDatabase;
  outbox: SqliteOutbox;
  state: SqliteStateStore;
  /** Closes both stores, which checkpoints and closes the file. */
  close(): void;
}

export function openAgentStores(options: AgentStoresOptions): AgentStores {
  const { dataDir, outboxMaxEntries, deadLetters, logger, ...databaseOptions } = options;
  const database = createDatabase(agentDatabasePath(dataDir), { ...databaseOptions, logger });
  const outbox = new SqliteOutbox(database, { maxEntries: outboxMaxEntries, logger, now: options.now, ...(deadLetters === undefined ? {} : { deadLetters }) });
  const state = new SqliteStateStore(database, { now: options.now });
  return {
    database,
    outbox,
    state,
    close() {
      outbox.close();
      state.close();
    },
  };
}
