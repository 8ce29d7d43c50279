/**
 * Is the lead's database fit to run on? The lead refuses a damaged one rather than run on it
 * (every snapshot write would fail while it reported ready) or silently start empty (its
 * registry, conflict log and API enrollments gone). The operator decides: restore a backup, or
 * `mesh-lead recover-db`, which moves the file aside as the agent does with its own and
 * lets the next start begin empty.
 */
import { inspectSqliteFile, moveAsideSqliteFile } from '@mesh30k/shared/node';
import type Database from 'better-sqlite3';
import { LeadError } from '../lib/errors.js';

/** quick_check stops after this many problems; the first few say enough. */
const MAX_REPORTED_PROBLEMS = 5;
const RECOVER_COMMAND = 'mesh-lead recover-db';

export function isCorruptionError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** The one line an operator reads: what is wrong with which file, and what to do. */
export function damagedError(path: string, problem: string, cause?: unknown): LeadError {
  return new LeadError(
    'STORE_DAMAGED',
    `database ${path} is damaged (${problem}); the lead will not run on it. Restore it from a backup, or run "${RECOVER_COMMAND}" with the same --config to move it aside and start with an empty registry`,
    cause === undefined ? undefined : { cause },
  );
}

/** Before SQLite opens it: a missing file is a new lead; an empty, foreign or truncated one is damage. */
export function checkDatabaseFile(path: string): void {
  const problem = fileProblem(path);
  if (problem !== null) throw damagedError(path, problem);
}

function fileProblem(path: string): string | null {
  const state = inspectSqliteFile(path);
  switch (state.kind) {
    case 'missing':
    case 'ok':
      return null;
    case 'empty':
      return 'the file is empty (0 bytes) where a database was expected';
    case 'not-sqlite':
      return `not a SQLite database: ${state.detail}`;
    case 'truncated':
      return `truncated: ${state.detail}`;
  }
}

/** PRAGMA quick_check on an open connection: every page and b-tree, without the slow index cross-check. */
export function quickCheck(db: Database.Database, path: string): void {
  const problems = databaseProblems(db);
  if (problems.length > 0) throw damagedError(path, `quick_check: ${problems.join('; ')}`);
}

function databaseProblems(db: Database.Database): string[] {
  const rows = db.pragma(`quick_check(${MAX_REPORTED_PROBLEMS})`) as { quick_check: string }[];
  // Its report spans lines ("*** in database main ***\nOn tree page 2 ..."); the operator gets one.
  return rows.map((row) => row.quick_check.replace(/\s+/g, ' ').trim()).filter((text) => text !== 'ok');
}

export interface RecoveryOutcome {
  /** Where the damaged file went; null when the database was healthy (nothing moved). */
  movedTo: string | null;
  problem: string | null;
}

/**
 * `mesh-lead recover-db`: checks the database as a start would, and only if it is damaged
 * moves it (and its WAL) aside. A healthy file is never touched. The lead must not be running.
 */
export function recoverDatabase(path: string, open: (path: string) => Database.Database, nowMs: number): RecoveryOutcome {
  const problem = problemOf(path, open);
  if (problem === null) return { movedTo: null, problem: null };
  return { movedTo: moveAsideSqliteFile(path, nowMs), problem };
}

function problemOf(path: string, open: (path: string) => Database.Database): string | null {
  if (inspectSqliteFile(path).kind === 'missing') return null;
  const problem = fileProblem(path);
  if (problem !== null) return problem;
  let db: Database.Database | undefined;
  try {
    db = open(path);
    const problems = databaseProblems(db);
    return problems.length === 0 ? null : `quick_check: ${problems.join('; ')}`;
  } catch (error) {
    if (!isCorruptionError(error)) throw error;
    return error instanceof Error ? error.message : String(error);
  } finally {
    db?.close();
  }
}
