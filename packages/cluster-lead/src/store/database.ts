import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LeadError, describeError } from '../lib/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const DATABASE_FILE = 'lead.db';

export interface OpenOptions {
  busyTimeoutMs: number;
}

/**
 * Opens (creating if needed) the lead's database in `dataDir`: WAL so readers never wait on
 * the snapshot writer, synchronous=NORMAL (in WAL mode a power cut can lose the last commits
 * but never corrupts), a busy timeout, then the migrations.
 */
export function openDatabase(dataDir: string, options: OpenOptions): Db {
  let db: Db;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    db = new Database(join(dataDir, DATABASE_FILE));
  } catch (cause) {
    throw new LeadError('STORE_FAILED', `cannot open the database in ${dataDir}: ${describeError(cause)}`, { cause });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.floor(options.busyTimeoutMs)}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Brings the schema up to date; refuses a database newer than this code. */
export function migrate(db: Db, migrations: readonly string[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new LeadError('STORE_MIGRATION', `database schema version ${current} is newer than this lead knows (${migrations.length})`);
  }
  for (let version = current; version < migrations.length; version++) {
    const step = db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    });
    try {
      step();
    } catch (cause) {
      throw new LeadError('STORE_MIGRATION', `migration ${version + 1} failed: ${describeError(cause)}`, { cause });
    }
  }
  return migrations.length;
}
