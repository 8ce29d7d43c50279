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
import type { Outbox, OutboxEntry, OutboxItem, OutboxKind, OutboxStats } from '../ports.js';
import type { AgentDatabase } from './database.js';

export interface SqliteOutboxOptions {
  maxEntries: number;
  logger?: Logger;
  /** Wall clock for queuedAt. */
  now?: () => number;
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

/** Files written before the stream column existed gain it at open (NULL: no ordering key). */
function addStreamColumn(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('outbox')").all();
  if (!columns.some((column) => column.name === 'stream')) db.exec('ALTER TABLE outbox ADD COLUMN stream TEXT');
}

interface Row {
  seq: number;
  stream: string | null;
  kind: OutboxKind;
  priority: Priority;
  body: string;
  queued_at: number;
  attempts: number;
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

  constructor(database: AgentDatabase, options: SqliteOutboxOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`outbox maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    this.db = database.db;
    this.db.exec(SCHEMA);
    addStreamColumn(this.db);
    this.maxEntries = options.maxEntries;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    const db = this.db;
    this.statements = {
      insert: db.prepare<[OutboxKind, Priority, string, number, string | null]>('INSERT INTO outbox (kind, priority, body, queued_at, stream) VALUES (?, ?, ?, ?, ?)'),
      peek: db.prepare<[number], Row>('SELECT seq, kind, priority, body, queued_at, attempts, stream FROM outbox ORDER BY seq LIMIT ?'),
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
    return this.statements.peek.all(limit).map((row) => ({
      seq: row.seq,
      kind: row.kind,
      priority: row.priority,
      body: row.body,
      queuedAt: row.queued_at,
      attempts: row.attempts,
      ...(row.stream === null ? {} : { stream: row.stream }),
    }));
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
