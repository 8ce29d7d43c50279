/**
 * The agent's dead letters: outbox entries the lead refused for good (an ACK for an operation
 * it no longer knows, a message it can never accept). They leave the outbox so nothing behind
 * them waits, and stay here for the operator (`mesh-agent dead-letters`, GET /status) within
 * a bounded retention: at most maxEntries, none older than maxAgeMs.
 */
import type Database from 'better-sqlite3';
import type { DeadLetter, DeadLetterStats, OutboxKind } from '../ports.js';

export const DEFAULT_DEAD_LETTER_MAX_ENTRIES = 1_000;
export const DEFAULT_DEAD_LETTER_MAX_AGE_MS = 7 * 86_400_000;
const TOTAL_COUNTER = 'dead_letters.total';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  stream TEXT,
  body TEXT NOT NULL,
  queued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  dead_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_age ON dead_letters (dead_at);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

export interface DeadLetterRetention {
  maxEntries: number;
  maxAgeMs: number;
}

interface Row {
  seq: number;
  kind: OutboxKind;
  stream: string | null;
  body: string;
  queued_at: number;
  attempts: number;
  code: string;
  reason: string;
  dead_at: number;
}

/** The table and its retention; the outbox calls `insert` inside its own transaction. */
export class SqliteDeadLetters {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly retention: DeadLetterRetention,
  ) {
    if (!Number.isInteger(retention.maxEntries) || retention.maxEntries < 1) throw new RangeError(`dead letter maxEntries must be a positive integer, got ${retention.maxEntries}`);
    db.exec(SCHEMA);
    this.statements = {
      insert: db.prepare<[Row]>(
        `INSERT OR REPLACE INTO dead_letters (seq, kind, stream, body, queued_at, attempts, code, reason, dead_at)
         VALUES (@seq, @kind, @stream, @body, @queued_at, @attempts, @code, @reason, @dead_at)`,
      ),
      pruneAge: db.prepare<[number]>('DELETE FROM dead_letters WHERE dead_at < ?'),
      pruneCount: db.prepare<[number]>('DELETE FROM dead_letters WHERE seq NOT IN (SELECT seq FROM dead_letters ORDER BY dead_at DESC, seq DESC LIMIT ?)'),
      list: db.prepare<[number], Row>('SELECT * FROM dead_letters ORDER BY dead_at DESC, seq DESC LIMIT ?'),
      count: db.prepare<[], number>('SELECT count(*) FROM dead_letters').pluck(),
      oldest: db.prepare<[], number | null>('SELECT min(dead_at) FROM dead_letters').pluck(),
      total: db.prepare<[string], number>('SELECT value FROM counters WHERE name = ?').pluck(),
      addTotal: db.prepare<[string]>('INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1'),
    };
  }

  /** Call inside a transaction: inserts, counts, and applies the retention. */
  insert(letter: DeadLetter): void {
    this.statements.insert.run({
      seq: letter.seq,
      kind: letter.kind,
      stream: letter.stream,
      body: letter.body,
      queued_at: letter.queuedAt,
      attempts: letter.attempts,
      code: letter.code,
      reason: letter.reason,
      dead_at: letter.deadAt,
    });
    this.statements.addTotal.run(TOTAL_COUNTER);
    this.statements.pruneAge.run(letter.deadAt - this.retention.maxAgeMs);
    this.statements.pruneCount.run(this.retention.maxEntries);
  }

  list(limit: number): DeadLetter[] {
    return this.statements.list.all(limit).map((row) => ({
      seq: row.seq,
      kind: row.kind,
      stream: row.stream,
      body: row.body,
      queuedAt: row.queued_at,
      attempts: row.attempts,
      code: row.code,
      reason: row.reason,
      deadAt: row.dead_at,
    }));
  }

  stats(): DeadLetterStats {
    return { count: this.statements.count.get() ?? 0, total: this.statements.total.get(TOTAL_COUNTER) ?? 0, oldestDeadAt: this.statements.oldest.get() ?? null };
  }
}
