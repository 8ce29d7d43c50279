/**
 * The daemon's one SQLite file (`<data_dir>/agent.db`), shared by the outbox and the state
 * store. Tuned for SD cards and power cuts: WAL with synchronous=NORMAL (a commit costs no
 * fsync; the WAL is synced at checkpoints, and a power cut loses at most the last commits,
 * never the file), a bounded WAL, a busy timeout, and an integrity check at every open.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';
import { isCorruptionError, quarantineCorruptFile } from './recovery.js';
import type { RecoveryReport } from './recovery.js';

export const AGENT_DB_FILE = 'agent.db';
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/** After a checkpoint the WAL file is truncated to this size, so it cannot grow without bound. */
export const DEFAULT_JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;
/** Checkpoint when the WAL reaches this many pages (SQLite's default, stated so it is visible). */
export const DEFAULT_WAL_AUTOCHECKPOINT_PAGES = 1_000;
const DATA_DIR_MODE = 0o700;

export function agentDatabasePath(dataDir: string): string {
  return join(dataDir, AGENT_DB_FILE);
}

export interface DatabaseOptions {
  logger?: Logger;
  /** Wall clock, for naming a quarantined file. */
  now?: () => number;
  busyTimeoutMs?: number;
  journalSizeLimitBytes?: number;
  walAutocheckpointPages?: number;
}

export type CheckpointMode = 'PASSIVE' | 'TRUNCATE';

export interface CheckpointResult {
  busy: boolean;
  /** Frames in the WAL. */
  walFrames: number;
  /** Frames moved into the database file. */
  checkpointed: number;
}

export interface AgentDatabase {
  readonly db: Database.Database;
  readonly path: string;
  /** What was moved aside at open because it was corrupt; null when the file was healthy. */
  readonly recovered: RecoveryReport | null;
  /** Registers a user; the file closes when every user has released it. */
  acquire(): () => void;
  checkpoint(mode?: CheckpointMode): CheckpointResult;
  /** Checkpoints (truncating the WAL) and closes now, whoever still holds it. Idempotent. */
  close(): void;
}

/**
 * Opens (creating if needed) the database at `path`. A file that fails the integrity check or
 * is not a database at all is moved aside as `<path>.corrupt-<time>` and an empty one is
 * started; the loss is logged and returned in `recovered`. Other failures (permissions, a full
 * disk) are thrown: moving a healthy file aside would lose data for nothing.
 */
export function createDatabase(path: string, options: DatabaseOptions = {}): AgentDatabase {
  mkdirSync(dirname(path), { recursive: true, mode: DATA_DIR_MODE });
  let recovered: RecoveryReport | null = null;
  let db: Database.Database;
  try {
    db = openChecked(path, options);
  } catch (error) {
    if (!(error instanceof CorruptDatabase) && !isCorruptionError(error)) throw error;
    const problems = error instanceof CorruptDatabase ? error.problems : [describe(error)];
    recovered = quarantineCorruptFile(path, problems, (options.now ?? Date.now)());
    options.logger?.error(
      { event: LogEvent.DATABASE_CORRUPT, path, moved_to: recovered.movedTo, problems: recovered.problems, lost_rows: recovered.lostRows },
      'database failed its integrity check; moved aside and started empty',
    );
    db = openChecked(path, options);
  }
  return handle(db, path, recovered, options.logger);
}

class CorruptDatabase extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

const MAX_REPORTED_PROBLEMS = 10;

function openChecked(path: string, options: DatabaseOptions): Database.Database {
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (mode.toLowerCase() !== 'wal') throw new Error(`cannot switch ${path} to WAL (journal_mode is ${mode})`);
    db.pragma('synchronous = NORMAL');
    db.pragma(`journal_size_limit = ${options.journalSizeLimitBytes ?? DEFAULT_JOURNAL_SIZE_LIMIT_BYTES}`);
    db.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages ?? DEFAULT_WAL_AUTOCHECKPOINT_PAGES}`);
    const rows = db.pragma(`quick_check(${MAX_REPORTED_PROBLEMS})`) as { quick_check: string }[];
    const problems = rows.map((row) => row.quick_check).filter((text) => text !== 'ok');
    if (problems.length > 0) throw new CorruptDatabase(problems);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function handle(db: Database.Database, path: string, recovered: RecoveryReport | null, logger: Logger | undefined): AgentDatabase {
  let users = 0;
  const checkpoint = (mode: CheckpointMode = 'PASSIVE'): CheckpointResult => {
    const [row] = db.pragma(`wal_checkpoint(${mode})`) as { busy: number; log: number; checkpointed: number }[];
    return { busy: row?.busy === 1, walFrames: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0 };
  };
  const close = (): void => {
    if (!db.open) return;
    try {
      checkpoint('TRUNCATE');
    } catch (error) {
      // Not fatal: the WAL is replayed at the next open.
      logger?.warn({ event: LogEvent.DATABASE_CHECKPOINT_FAILED, path, err: error }, 'final checkpoint failed');
    }
    db.close();
  };
  return {
    db,
    path,
    recovered,
    acquire() {
      users += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        users -= 1;
        if (users === 0) close();
      };
    },
    checkpoint,
    close,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
