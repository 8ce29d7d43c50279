/**
 * A SQLite file judged before SQLite opens it, and moved aside when it is damaged. SQLite
 * itself treats a zero-length file as a new empty database and reads past a truncated one
 * until a query trips; both runtimes (the agent's outbox, the lead's registry) need to tell
 * "never created" from "damaged" first. Only the file's 100-byte header is read here; the
 * page-level check (PRAGMA quick_check) is the caller's, on its own connection.
 * Header layout: https://www.sqlite.org/fileformat2.html#the_database_header
 */
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';

export type SqliteFileState =
  /** No file: a brand-new path, SQLite will create it. */
  | { readonly kind: 'missing' }
  /** A file of zero bytes where a database was expected. */
  | { readonly kind: 'empty' }
  /** Not a SQLite database (wrong magic, or shorter than its own header). */
  | { readonly kind: 'not-sqlite'; readonly detail: string }
  /** Shorter than the page count its header records. */
  | { readonly kind: 'truncated'; readonly detail: string }
  | { readonly kind: 'ok'; readonly pageSize: number; readonly pages: number };

const HEADER_BYTES = 100;
const MAGIC = 'SQLite format 3\u0000';
const WAL_SUFFIX = '-wal';
const SHM_SUFFIX = '-shm';

/** Reads the file's header and size; never opens it with SQLite. Throws only for I/O errors (permissions). */
export function inspectSqliteFile(path: string): SqliteFileState {
  if (!existsSync(path)) return { kind: 'missing' };
  const size = statSync(path).size;
  if (size === 0) return { kind: 'empty' };
  if (size < HEADER_BYTES) return { kind: 'not-sqlite', detail: `${size} bytes, shorter than a SQLite header` };
  const header = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString('latin1', 0, MAGIC.length) !== MAGIC) return { kind: 'not-sqlite', detail: 'the file does not start with the SQLite header' };
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return { kind: 'not-sqlite', detail: `the header's page size ${rawPageSize} is invalid` };
  const pages = header.readUInt32BE(28);
  // The in-header page count is trusted only when the header says it is current (format 3.7.0+),
  // and only without a WAL that may still hold pages beyond it.
  const current = pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
  if (current && !hasWal(path) && size < pages * pageSize) {
    return { kind: 'truncated', detail: `${size} bytes where its header records ${pages} pages of ${pageSize} bytes (${pages * pageSize} bytes)` };
  }
  return { kind: 'ok', pageSize, pages };
}

/** `2025-01-31T12-00-00-000Z`: sortable, and safe in file names. */
function stamp(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[:.]/g, '-');
}

/**
 * Renames a damaged database to `<path>.corrupt-<time>` (never deletes it: an operator can
 * inspect it or salvage rows with `sqlite3 <file> .recover`) and returns the new name. Its
 * WAL goes with it, as it may hold the newest rows; the shared-memory index is rebuilt from
 * the WAL and is only removed. Nothing may have the file open.
 */
export function moveAsideSqliteFile(path: string, nowMs: number): string {
  let movedTo = `${path}.corrupt-${stamp(nowMs)}`;
  for (let n = 1; existsSync(movedTo); n += 1) movedTo = `${path}.corrupt-${stamp(nowMs)}.${n}`;
  renameSync(path, movedTo);
  if (existsSync(path + WAL_SUFFIX)) renameSync(path + WAL_SUFFIX, movedTo + WAL_SUFFIX);
  rmSync(path + SHM_SUFFIX, { force: true });
  return movedTo;
}

function hasWal(path: string): boolean {
  try {
    return statSync(path + WAL_SUFFIX).size > 0;
  } catch {
    return false;
  }
}
