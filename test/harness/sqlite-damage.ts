/**
 * Real damage to real SQLite files, as a failing SD card or a full disk leaves them: a page
 * of a table overwritten, the header overwritten, the file cut short or emptied. Tests of the
 * lead's and the agent's database checks use these instead of mocks.
 */
import { closeSync, openSync, truncateSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

const GARBAGE = 0xab;

/** Overwrites the root page of `table` (the b-tree every row is reached through). */
export function corruptTablePage(path: string, table: string): void {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  let root: number;
  let pageSize: number;
  try {
    root = db.prepare('SELECT rootpage FROM sqlite_master WHERE type = ? AND name = ?').pluck().get('table', table) as number;
    pageSize = db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
  if (root === undefined) throw new Error(`${path} has no table ${table}`);
  overwrite(path, (root - 1) * pageSize, pageSize);
}

/** Overwrites the first 100 bytes: the file no longer says it is SQLite. */
export function corruptHeader(path: string): void {
  overwrite(path, 0, 100);
}

/** Cuts the file to `bytes` (0: an empty file where a database was). */
export function truncateDatabase(path: string, bytes: number): void {
  truncateSync(path, bytes);
}

/**
 * A write and a checkpoint from another connection: a process holding the file open then
 * drops its page cache and reads the damaged pages from disk, as it would after a restart.
 */
export function touchFromAnotherConnection(path: string, sql: string): void {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.exec(sql);
    db.pragma('wal_checkpoint(PASSIVE)');
  } finally {
    db.close();
  }
}

function overwrite(path: string, offset: number, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(length, GARBAGE), 0, length, offset);
  } finally {
    closeSync(fd);
  }
}
