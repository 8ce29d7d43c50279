import type { Db } from './database.js';

/** A send that failed after its retries, kept for an operator to inspect, replay or drop. */
export interface DeadLetter {
  id: number;
  createdAt: number;
  operationId: string | null;
  agentId: string | null;
  kind: string;
  reason: string;
  attempts: number;
  payload: unknown;
}

export interface DeadLetterQuery {
  /** Only letters with a smaller id (the page cursor: newest first). */
  beforeId?: number | undefined;
  kind?: string | undefined;
  limit: number;
}

/** Told of each letter written (its whole row) or removed by a caller (null); not of retention's deletes. */
export type DeadLetterObserver = (id: number, letter: DeadLetter | null) => void;

/** How many letters are kept and for how long; older or surplus ones are deleted, oldest first. */
export interface DeadLetterRetention {
  maxRows: number;
  maxAgeMs: number;
}

interface Row {
  id: number;
  created_at: number;
  operation_id: string | null;
  agent_id: string | null;
  kind: string;
  reason: string;
  attempts: number;
  payload: string;
}

function fromRow(row: Row): DeadLetter {
  return {
    id: row.id,
    createdAt: row.created_at,
    operationId: row.operation_id,
    agentId: row.agent_id,
    kind: row.kind,
    reason: row.reason,
    attempts: row.attempts,
    payload: JSON.parse(row.payload) as unknown,
  };
}

export class DeadLetters {
  private readonly insert;
  private readonly page;
  private readonly pageOfKind;
  private readonly one;
  private readonly remove;
  private readonly retry;
  private readonly counted;
  private readonly pruneOld;
  private readonly pruneSurplus;
  /** Letters deleted by retention since the process started (for /metrics). */
  pruned = 0;
  private retention: DeadLetterRetention | undefined;
  private observer: DeadLetterObserver | undefined;
  private readonly upsertWithId;

  constructor(db: Db) {
    this.upsertWithId = db.prepare(
      'INSERT OR REPLACE INTO dead_letters (id, created_at, operation_id, agent_id, kind, reason, attempts, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insert = db.prepare(
      'INSERT INTO dead_letters (created_at, operation_id, agent_id, kind, reason, attempts, payload) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.page = db.prepare('SELECT * FROM dead_letters WHERE id < ? ORDER BY id DESC LIMIT ?');
    this.pageOfKind = db.prepare('SELECT * FROM dead_letters WHERE id < ? AND kind = ? ORDER BY id DESC LIMIT ?');
    this.one = db.prepare('SELECT * FROM dead_letters WHERE id = ?');
    this.remove = db.prepare('DELETE FROM dead_letters WHERE id = ?');
    this.retry = db.prepare('UPDATE dead_letters SET attempts = attempts + 1, reason = ? WHERE id = ?');
    this.counted = db.prepare('SELECT COUNT(*) AS n FROM dead_letters');
    this.pruneOld = db.prepare('DELETE FROM dead_letters WHERE created_at < ?');
    // Ids grow with time, so "all but the newest N" is everything at or below the (N+1)-th newest id.
    this.pruneSurplus = db.prepare('DELETE FROM dead_letters WHERE id <= (SELECT id FROM dead_letters ORDER BY id DESC LIMIT 1 OFFSET ?)');
  }

  /** Turns retention on: every add keeps the table within maxRows; prune(now) applies the age. */
  retain(retention: DeadLetterRetention): void {
    this.retention = retention;
  }

  /** One observer of the letters' changes (the JetStream mirror, src/replication/operations). */
  observe(observer: DeadLetterObserver): void {
    this.observer = observer;
  }

  /** Writes a letter with its id as another lead stored it (a standby following the replicated letters). */
  restore(letter: DeadLetter): void {
    this.upsertWithId.run(letter.id, letter.createdAt, letter.operationId, letter.agentId, letter.kind, letter.reason, letter.attempts, JSON.stringify(letter.payload ?? null));
  }

  /** Returns the new letter's id. */
  add(letter: Omit<DeadLetter, 'id'>): number {
    const result = this.insert.run(
      letter.createdAt,
      letter.operationId,
      letter.agentId,
      letter.kind,
      letter.reason,
      letter.attempts,
      JSON.stringify(letter.payload ?? null),
    );
    if (this.retention !== undefined) this.pruned += this.pruneSurplus.run(this.retention.maxRows).changes;
    const id = Number(result.lastInsertRowid);
    this.notify(id);
    return id;
  }

  /** Newest first. */
  list(limit = 100): DeadLetter[] {
    return this.query({ limit });
  }

  query(q: DeadLetterQuery): DeadLetter[] {
    const before = q.beforeId ?? Number.MAX_SAFE_INTEGER;
    const rows = (q.kind === undefined ? this.page.all(before, q.limit) : this.pageOfKind.all(before, q.kind, q.limit)) as Row[];
    return rows.map(fromRow);
  }

  get(id: number): DeadLetter | undefined {
    const row = this.one.get(id) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** True when the letter existed. */
  delete(id: number): boolean {
    const existed = this.remove.run(id).changes > 0;
    if (existed) this.observer?.(id, null);
    return existed;
  }

  /** A replay that failed again: one more attempt, and why. */
  failedAgain(id: number, reason: string): void {
    this.retry.run(reason, id);
    this.notify(id);
  }

  private notify(id: number): void {
    if (this.observer === undefined) return;
    const letter = this.get(id);
    if (letter !== undefined) this.observer(id, letter);
  }

  count(): number {
    return (this.counted.get() as { n: number }).n;
  }

  /** Applies retention (age and rows) now; returns how many letters it deleted. */
  prune(now: number): number {
    if (this.retention === undefined) return 0;
    const deleted = this.pruneOld.run(now - this.retention.maxAgeMs).changes + this.pruneSurplus.run(this.retention.maxRows).changes;
    this.pruned += deleted;
    return deleted;
  }
}
