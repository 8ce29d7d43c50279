/**
 * What happens to a corrupt database file: it is moved aside, never deleted, so an operator
 * can inspect it or salvage rows with `sqlite3 <file> .recover`; the daemon starts empty.
 */
import { moveAsideSqliteFile } from '@mesh30k/shared/node';
import Database from 'better-sqlite3';

export interface RecoveryReport {
  /** Where the corrupt file now is. */
  movedTo: string;
  /** What the integrity check (or the failed open) said. */
  problems: string[];
  /** Rows per table that could still be counted in the corrupt file; null if none could. */
  lostRows: Record<string, number> | null;
}

export function isCorruptionError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

export function quarantineCorruptFile(path: string, problems: string[], nowMs: number): RecoveryReport {
  const lostRows = countRows(path);
  return { movedTo: moveAsideSqliteFile(path, nowMs), problems, lostRows };
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
