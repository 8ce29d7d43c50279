/**
 * What happens to a corrupt database file: it is moved aside, never deleted, so an operator
 * can inspect it or salvage rows with `sqlite3 <file> .recover`; the daemon starts empty.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface RecoveryReport {
  /** Where the corrupt file now is. */
  movedTo: string;
  /** What the integrity check (or the failed open) said. */
  problems: string[];
  /** Rows per table that could still be counted in the corrupt file; null if none could. */
  lostRows: Record<string, number> | null;
}

const WAL_SUFFIX = '-wal';
const SHM_SUFFIX = '-shm';

export function isCorruptionError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** `2025-01-31T12-00-00-000Z`: sortable, and safe in file names. */
function stamp(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[:.]/g, '-');
}

export function quarantineCorruptFile(path: string, problems: string[], nowMs: number): RecoveryReport {
  const lostRows = countRows(path);
  let movedTo = `${path}.corrupt-${stamp(nowMs)}`;
  for (let n = 1; existsSync(movedTo); n += 1) movedTo = `${path}.corrupt-${stamp(nowMs)}.${n}`;
  renameSync(path, movedTo);
  // The WAL belongs with its database (it may hold the newest rows); the shared-memory index
  // is rebuilt from the WAL and is only stale state.
  if (existsSync(path + WAL_SUFFIX)) renameSync(path + WAL_SUFFIX, movedTo + WAL_SUFFIX);
  rmSync(path + SHM_SUFFIX, { force: true });
  return { movedTo, problems, lostRows };
}

/** Best effort: counts what each table of a damaged file still shows. Never throws. */
function countRows(path: string): Record<string, number> | null {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    const counts: Record<string, number> = {};
    for (const table of tables) {
      try {
        counts[table] = db.prepare(`SELECT count(*) FROM "${table.replace(/"/g, '""')}"`).pluck().get() as number;
      } catch {
        // This table's pages are damaged; report the others.
      }
    }
    return Object.keys(counts).length > 0 ? counts : null;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}
