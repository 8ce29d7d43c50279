/**
 * Stored answers to POSTs sent with an Idempotency-Key, per caller, for 24 hours, in the
 * lead's SQLite database (so a retry after a lead restart still gets the first answer).
 */
import type { Db } from '../store/index.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** Created on first use, not by a numbered migration: the table belongs to this module alone. */
const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS api_idempotency (
    caller      TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    headers     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  REAL NOT NULL,
    PRIMARY KEY (caller, key)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS api_idempotency_by_time ON api_idempotency (created_at)`;

export interface StoredResponse {
  readonly fingerprint: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly createdAt: number;
}

export interface IdempotencyStore {
  /** The live (younger than the TTL) answer stored under caller and key. */
  get(caller: string, key: string, now: number): StoredResponse | undefined;
  put(caller: string, key: string, response: StoredResponse): void;
}

export class SqliteIdempotencyStore implements IdempotencyStore {
  private readonly select;
  private readonly insert;
  private readonly prune;

  constructor(db: Db) {
    db.exec(CREATE_TABLE);
    this.select = db.prepare('SELECT fingerprint, status, headers, body, created_at FROM api_idempotency WHERE caller = ? AND key = ? AND created_at > ?');
    this.insert = db.prepare(
      'INSERT INTO api_idempotency (caller, key, fingerprint, status, headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (caller, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status, headers = excluded.headers, body = excluded.body, created_at = excluded.created_at',
    );
    this.prune = db.prepare('DELETE FROM api_idempotency WHERE created_at <= ?');
  }

  get(caller: string, key: string, now: number): StoredResponse | undefined {
    const row = this.select.get(caller, key, now - IDEMPOTENCY_TTL_MS) as { fingerprint: string; status: number; headers: string; body: string; created_at: number } | undefined;
    if (row === undefined) return undefined;
    return { fingerprint: row.fingerprint, status: row.status, headers: JSON.parse(row.headers) as Record<string, string>, body: row.body, createdAt: row.created_at };
  }

  put(caller: string, key: string, response: StoredResponse): void {
    // Expired rows go as new ones come: the table stays about one day of POSTs.
    this.prune.run(response.createdAt - IDEMPOTENCY_TTL_MS);
    this.insert.run(caller, key, response.fingerprint, response.status, JSON.stringify(response.headers), response.body, response.createdAt);
  }
}

/** For tests and leads without a database. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly rows = new Map<string, StoredResponse>();

  get(caller: string, key: string, now: number): StoredResponse | undefined {
    const row = this.rows.get(`${caller}\u0000${key}`);
    return row !== undefined && row.createdAt > now - IDEMPOTENCY_TTL_MS ? row : undefined;
  }

  put(caller: string, key: string, response: StoredResponse): void {
    this.rows.set(`${caller}\u0000${key}`, response);
  }
}
