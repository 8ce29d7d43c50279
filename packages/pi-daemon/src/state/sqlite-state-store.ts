/**
 * Small durable state (frozen flag, context hash, clock estimate) as JSON values in a
 * key-value table of the daemon's database file.
 */
import type Database from 'better-sqlite3';
import type { AgentDatabase } from '../outbox/database.js';
import type { StateStore } from '../ports.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

export interface SqliteStateStoreOptions {
  now?: () => number;
}

export class SqliteStateStore implements StateStore {
  private readonly release: () => void;
  private readonly now: () => number;
  private readonly statements;
  private readonly setManyTx: (entries: readonly (readonly [string, unknown])[]) => void;

  constructor(database: AgentDatabase, options: SqliteStateStoreOptions = {}) {
    const db: Database.Database = database.db;
    db.exec(SCHEMA);
    this.now = options.now ?? Date.now;
    this.statements = {
      get: db.prepare<[string], string>('SELECT value FROM kv WHERE key = ?').pluck(),
      set: db.prepare<[string, string, number]>(
        'INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ),
      delete: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
    };
    this.setManyTx = db.transaction((entries: readonly (readonly [string, unknown])[]) => {
      for (const [key, value] of entries) this.statements.set.run(key, serialise(key, value), this.now());
    });
    this.release = database.acquire();
  }

  /** The stored value, parsed from JSON; the caller vouches for its shape (validate if unsure). */
  get<T>(key: string): T | undefined {
    const text = this.statements.get.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  set(key: string, value: unknown): void {
    this.statements.set.run(key, serialise(key, value), this.now());
  }

  /** Several keys in one transaction: all of them are stored, or none. */
  setMany(entries: readonly (readonly [string, unknown])[]): void {
    this.setManyTx(entries);
  }

  delete(key: string): void {
    this.statements.delete.run(key);
  }

  /** Stops using the database; the file closes when its last user has closed. */
  close(): void {
    this.release();
  }
}

function serialise(key: string, value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError(`state ${key}: value is not JSON-serialisable (use delete to remove a key)`);
  return text;
}
