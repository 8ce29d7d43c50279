/**
 * The store-and-forward outbox: messages that must reach the lead (ACKs, conflicts, events)
 * wait here while NATS is unreachable, across restarts. Sequence numbers come from
 * AUTOINCREMENT, so a number is never reused even after the newest entries are delivered.
 * Bounded: when an enqueue would exceed maxEntries, the lowest-priority entries go first,
 * oldest first among equals, and the loss is counted in a persisted counter and logged.
 */
import type { Priority } from '@mesh30k/shared';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';
import type { DeadLetter, DeadLetterStats, Outbox, OutboxEntry, OutboxItem, OutboxKind, OutboxStats } from '../ports.js';
import type { AgentDatabase } from './database.js';
import { DEFAULT_DEAD_LETTER_MAX_AGE_MS, DEFAULT_DEAD_LETTER_MAX_ENTRIES, SqliteDeadLetters, type DeadLetterRetention } from './dead-letters.js';

export interface SqliteOutboxOptions {
  maxEntries: number;
  logger?: Logger;
  /** Wall clock for queuedAt and dead letters. */
  now?: () => number;
  deadLetters?: Partial<DeadLetterRetention>;
}

const DROPPED_COUNTER = 'outbox.dropped';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('ACK', 'CONFLICT', 'EVENT')),
  priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
  body TEXT NOT NULL,
  queued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  stream TEXT
);
CREATE INDEX IF NOT EXISTS outbox_drop_order ON outbox (priority, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Columns added after the first release; an older file gets them at open. */
const ADDED_COLUMNS: readonly { name: string; ddl: string }[] = [
  { name: 'next_attempt_at', ddl: 'ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0' },
  { name: 'stream', ddl: 'ALTER TABLE outbox ADD COLUMN stream TEXT' },
];
const STREAM_INDEX = 'CREATE INDEX IF NOT EXISTS outbox_stream_order ON outbox (stream, seq) WHERE stream IS NOT NULL';
const COLUMNS = 'seq, kind, priority, body, queued_at, attempts, next_attempt_at, stream';

interface Row {
  seq: number;
  kind: OutboxKind;
  priority: Priority;
  body: string;
  queued_at: number;
  attempts: number;
  next_attempt_at: number;
  stream: string | null;
}

function toEntry(row: Row): OutboxEntry {
  return {
    seq: row.seq,
    kind: row.kind,
    priority: row.priority,
    body: row.body,
    queuedAt: row.queued_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    stream: row.stream,
  };
}

interface DropGroup {
  priority: Priority;
  kind: OutboxKind;
  count: number;
  first_seq: number;
  last_seq: number;
}

export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database;
  private readonly release: () => void;
  private readonly maxEntries: number;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private depth: number;
  private dropped: number;
  private readonly statements;
  private readonly enqueueTx: (items: readonly OutboxItem[]) => number[];
  private readonly removeTx: (seqs: readonly number[]) => number;
  private readonly deadLetterTx: (seq: number, refusal: { code: string; reason: string }) => boolean;
  private readonly dead: SqliteDeadLetters;

  constructor(database: AgentDatabase, options: SqliteOutboxOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`outbox maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    this.db = database.db;
    this.db.exec(SCHEMA);
    addMissingColumns(this.db);
    this.dead = new SqliteDeadLetters(this.db, {
      maxEntries: options.deadLetters?.maxEntries ?? DEFAULT_DEAD_LETTER_MAX_ENTRIES,
      maxAgeMs: options.deadLetters?.maxAgeMs ?? DEFAULT_DEAD_LETTER_MAX_AGE_MS,
    });
    this.maxEntries = options.maxEntries;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    const db = this.db;
    this.statements = {
      insert: db.prepare<[OutboxKind, Priority, string, number, string | null]>('INSERT INTO outbox (kind, priority, body, queued_at, stream) VALUES (?, ?, ?, ?, ?)'),
      peek: db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM outbox ORDER BY seq LIMIT ?`),
      one: db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM outbox WHERE seq = ?`),
      due: db.prepare<[number, number], Row>(
        `SELECT ${COLUMNS} FROM outbox o
          WHERE o.next_attempt_at <= ?
            AND (o.stream IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.stream = o.stream AND p.seq < o.seq))
          ORDER BY o.seq LIMIT ?`,
      ),
      nextAttempt: db.prepare<[], number | null>(
        `SELECT min(o.next_attempt_at) FROM outbox o
          WHERE o.stream IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.stream = o.stream AND p.seq < o.seq)`,
      ).pluck(),
      defer: db.prepare<[number, number]>('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE seq = ?'),
      remove: db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?'),
      attempt: db.prepare<[number]>('UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?'),
      count: db.prepare<[], number>('SELECT count(*) FROM outbox').pluck(),
      oldest: db.prepare<[], number>('SELECT queued_at FROM outbox ORDER BY seq LIMIT 1').pluck(),
      dropGroups: db.prepare<[number], DropGroup>(
        `SELECT priority, kind, count(*) AS count, min(seq) AS first_seq, max(seq) AS last_seq
           FROM (SELECT seq, kind, priority FROM outbox ORDER BY priority, seq LIMIT ?)
          GROUP BY priority, kind ORDER BY priority, kind`,
      ),
      drop: db.prepare<[number]>('DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY priority, seq LIMIT ?)'),
      readCounter: db.prepare<[string], number>('SELECT value FROM counters WHERE name = ?').pluck(),
      addCounter: db.prepare<[string, number]>(
        'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
      ),
    };
    this.depth = this.statements.count.get() ?? 0;
    this.dropped = this.statements.readCounter.get(DROPPED_COUNTER) ?? 0;
    this.enqueueTx = db.transaction((items: readonly OutboxItem[]) => this.insertAll(items));
    this.removeTx = db.transaction((seqs: readonly number[]) => {
      let removed = 0;
      for (const seq of seqs) removed += this.statements.remove.run(seq).changes;
      return removed;
    });
    this.deadLetterTx = db.transaction((seq: number, refusal: { code: string; reason: string }) => {
      const row = this.statements.one.get(seq);
      if (row === undefined) return false;
      this.dead.insert({ ...toEntry(row), code: refusal.code, reason: refusal.reason, deadAt: this.now() });
      this.statements.remove.run(seq);
      return true;
    });
    this.release = database.acquire();
  }

  enqueue(items: readonly OutboxItem[]): number[] {
    if (items.length === 0) return [];
    const depthBefore = this.depth;
    const droppedBefore = this.dropped;
    try {
      return this.enqueueTx(items);
    } catch (error) {
      // The transaction rolled back: nothing was inserted or dropped.
      this.depth = depthBefore;
      this.dropped = droppedBefore;
      throw error;
    }
  }

  peek(limit: number): OutboxEntry[] {
    return this.statements.peek.all(limit).map(toEntry);
  }

  due(now: number, limit: number): OutboxEntry[] {
    return this.statements.due.all(now, limit).map(toEntry);
  }

  nextAttemptAt(): number | null {
    return this.depth === 0 ? null : (this.statements.nextAttempt.get() ?? null);
  }

  deferUntil(seq: number, at: number): void {
    this.statements.defer.run(at, seq);
  }

  deadLetter(seq: number, refusal: { code: string; reason: string }): void {
    if (this.deadLetterTx(seq, refusal)) this.depth -= 1;
  }

  listDeadLetters(limit: number): DeadLetter[] {
    return this.dead.list(limit);
  }

  deadLetterStats(): DeadLetterStats {
    return this.dead.stats();
  }

  remove(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.depth -= this.removeTx(seqs);
  }

  recordAttempt(seq: number): void {
    this.statements.attempt.run(seq);
  }

  stats(): OutboxStats {
    return { depth: this.depth, dropped: this.dropped, oldestQueuedAt: this.depth === 0 ? null : (this.statements.oldest.get() ?? null) };
  }

  /** Stops using the database; the file closes when its last user (outbox, state) has closed. */
  close(): void {
    this.release();
  }

  /** Runs inside the enqueue transaction. */
  private insertAll(items: readonly OutboxItem[]): number[] {
    const queuedAt = this.now();
    const seqs = items.map((item) => Number(this.statements.insert.run(item.kind, item.priority, item.body, queuedAt, item.stream ?? null).lastInsertRowid));
    this.depth += items.length;
    const excess = this.depth - this.maxEntries;
    if (excess > 0) this.dropExcess(excess);
    return seqs;
  }

  private dropExcess(excess: number): void {
    const groups = this.statements.dropGroups.all(excess);
    const removed = this.statements.drop.run(excess).changes;
    this.statements.addCounter.run(DROPPED_COUNTER, removed);
    this.depth -= removed;
    this.dropped += removed;
    this.logger?.warn(
      { event: LogEvent.OUTBOX_DROPPED, count: removed, dropped_total: this.dropped, max_entries: this.maxEntries, groups },
      `outbox full: dropped ${removed} lowest-priority entries`,
    );
  }
}

function addMissingColumns(db: Database.Database): void {
  const present = new Set((db.pragma('table_info(outbox)') as { name: string }[]).map((column) => column.name));
  for (const column of ADDED_COLUMNS) if (!present.has(column.name)) db.exec(column.ddl);
  db.exec(STREAM_INDEX);
}
