import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LeadError, describeError } from '../lib/errors.js';
import { MIGRATIONS } from './migrations.js';
import { checkDatabaseFile, damagedError, isCorruptionError, quickCheck } from './integrity.js';

export type Db = Database.Database;

export const DATABASE_FILE = 'lead.db';

export interface OpenOptions {
  busyTimeoutMs: number;
}

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE);
}

/**
 * Opens (creating if needed) the lead's database in `dataDir`: WAL so readers never wait on
 * the snapshot writer, synchronous=NORMAL (in WAL mode a power cut can lose the last commits
 * but never corrupts), a busy timeout, then the migrations. The file is checked first (an
 * empty, foreign or truncated file, then PRAGMA quick_check): a damaged database is refused
 * with LeadError STORE_DAMAGED, never run on and never silently replaced (see integrity.ts).
 */
export function openDatabase(dataDir: string, options: OpenOptions): Db {
  const path = databasePath(dataDir);
  let db: Db;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    checkDatabaseFile(path);
    db = new Database(path);
  } catch (cause) {
    if (cause instanceof LeadError) throw cause;
    if (isCorruptionError(cause)) throw damagedError(path, describeError(cause), cause);
    throw new LeadError('STORE_FAILED', `cannot open the database in ${dataDir}: ${describeError(cause)}`, { cause });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.floor(options.busyTimeoutMs)}`);
    db.pragma('foreign_keys = ON');
    quickCheck(db, path);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    if (!(error instanceof LeadError) && isCorruptionError(error)) throw damagedError(path, describeError(error), error);
    if (error instanceof LeadError && isCorruptionError(error.cause)) throw damagedError(path, describeError(error.cause), error.cause);
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
