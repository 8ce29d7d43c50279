import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

/** One verified conflict report, kept with the exact bytes and signature it arrived with. */
export interface ConflictEntry {
  conflictId: string;
  receivedAt: number;
  agentId: string;
  operationId: string | null;
  conflictType: string;
  priority: number;
  signerId: string;
  signature: string;
  body: Uint8Array;
}

export interface StoredConflict extends ConflictEntry {
  seq: number;
}

interface Row {
  seq: number;
  conflict_id: string;
  received_at: number;
  agent_id: string;
  operation_id: string | null;
  conflict_type: string;
  priority: number;
  signer_id: string;
  signature: string;
  body: Buffer;
}

/**
 * The append-only conflict log (spec 5.1: an immutable record). Append only by construction:
 * the database itself refuses UPDATE and DELETE with triggers, so no code path, tool or later
 * bug can rewrite history. A conflict id appears once; appending it again is a no-op.
 */
export class ConflictLog {
  private readonly insert;
  private readonly byAgent;
  private readonly recent;
  private readonly byId;
  private readonly countRows;
  private readonly countFrom;
  private readonly queries = new Map<string, Statement<(string | number)[]>>();
  private readonly oldest;
  private readonly nthNewest;
  private readonly advanceHorizon;
  private readonly deleteThrough;
  private observer: ((entry: ConflictEntry) => void) | undefined;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO conflict_log (conflict_id, received_at, agent_id, operation_id, conflict_type, priority, signer_id, signature, body)
       VALUES (@conflict_id, @received_at, @agent_id, @operation_id, @conflict_type, @priority, @signer_id, @signature, @body)
       ON CONFLICT (conflict_id) DO NOTHING`,
    );
    this.byAgent = db.prepare('SELECT * FROM conflict_log WHERE agent_id = ? ORDER BY seq DESC LIMIT ?');
    this.recent = db.prepare('SELECT * FROM conflict_log ORDER BY seq DESC LIMIT ?');
    this.byId = db.prepare('SELECT * FROM conflict_log WHERE conflict_id = ?');
    this.countRows = db.prepare('SELECT COUNT(*) FROM conflict_log').pluck();
    this.countFrom = db.prepare('SELECT COUNT(*) FROM conflict_log WHERE received_at >= ?').pluck();
    this.oldest = db.prepare('SELECT seq, received_at FROM conflict_log ORDER BY seq LIMIT ?');
    this.nthNewest = db.prepare('SELECT seq FROM conflict_log ORDER BY seq DESC LIMIT 1 OFFSET ?').pluck();
    this.advanceHorizon = db.prepare('UPDATE conflict_log_horizon SET through_seq = MAX(through_seq, ?) WHERE id = 1');
    this.deleteThrough = db.prepare('DELETE FROM conflict_log WHERE seq <= ?');
  }

  /**
   * Retention: removes at most `batch` of the oldest rows that are beyond `maxRows` or received
   * before `olderThan`, in one short transaction. Returns how many went; callers repeat, with
   * the event loop getting a turn in between, until it returns less than `batch`.
   */
  prune(options: { maxRows: number; olderThan: number; batch: number }): number {
    return this.db.transaction(() => {
      const candidates = this.oldest.all(options.batch) as { seq: number; received_at: number }[];
      // Everything at or below this seq is over the row limit (the newest maxRows stay).
      const keepFrom = (this.nthNewest.get(options.maxRows - 1) as number | undefined) ?? 0;
      let through = 0;
      for (const row of candidates) {
        if (row.seq >= keepFrom && row.received_at >= options.olderThan) break;
        through = row.seq;
      }
      if (through === 0) return 0;
      this.advanceHorizon.run(through);
      return this.deleteThrough.run(through).changes;
    })();
  }

  /** One observer told of each entry newly logged (the JetStream mirror, src/replication/operations). */
  observe(observer: (entry: ConflictEntry) => void): void {
    this.observer = observer;
  }

  /** True when the entry was new; false for a conflict id already logged. */
  append(entry: ConflictEntry): boolean {
    const result = this.insert.run({
      conflict_id: entry.conflictId,
      received_at: entry.receivedAt,
      agent_id: entry.agentId,
      operation_id: entry.operationId,
      conflict_type: entry.conflictType,
      priority: entry.priority,
      signer_id: entry.signerId,
      signature: entry.signature,
      body: Buffer.from(entry.body.buffer, entry.body.byteOffset, entry.body.byteLength),
    });
    if (result.changes !== 1) return false;
    this.observer?.(entry);
    return true;
  }

  /** The logged conflict with this id (undefined when never logged, or pruned). */
  get(conflictId: string): StoredConflict | undefined {
    const row = this.byId.get(conflictId) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Newest first. */
  list(options: { agentId?: string; limit?: number } = {}): StoredConflict[] {
    const limit = options.limit ?? 100;
    const rows = (options.agentId === undefined ? this.recent.all(limit) : this.byAgent.all(options.agentId, limit)) as Row[];
    return rows.map(fromRow);
  }

  /** Newest first, filtered (for GET /v1/conflicts); `beforeSeq` continues a previous page. */
  query(filter: ConflictQuery): StoredConflict[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      params.push(value);
    };
    add('received_at >= ?', filter.since);
    add('received_at < ?', filter.until);
    add('agent_id = ?', filter.agentId);
    add('operation_id = ?', filter.operationId);
    add('conflict_type = ?', filter.type);
    add('priority >= ?', filter.minPriority);
    add('seq < ?', filter.beforeSeq);
    const sql = `SELECT * FROM conflict_log${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    // One prepared statement per filter shape (at most 64 of them).
    let statement = this.queries.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<(string | number)[]>(sql);
      this.queries.set(sql, statement);
    }
    return (statement.all(...params, filter.limit) as Row[]).map(fromRow);
  }

  count(): number {
    return this.countRows.get() as number;
  }

  /** Entries received at or after `since` (lead clock). */
  countSince(since: number): number {
    return this.countFrom.get(since) as number;
  }
}

export interface ConflictQuery {
  since?: number | undefined;
  until?: number | undefined;
  agentId?: string | undefined;
  operationId?: string | undefined;
  type?: string | undefined;
  minPriority?: number | undefined;
  beforeSeq?: number | undefined;
  limit: number;
}

function fromRow(row: Row): StoredConflict {
  return {
      seq: row.seq,
      conflictId: row.conflict_id,
      receivedAt: row.received_at,
      agentId: row.agent_id,
      operationId: row.operation_id,
      conflictType: row.conflict_type,
      priority: row.priority,
      signerId: row.signer_id,
      signature: row.signature,
      body: new Uint8Array(row.body),
  };
}
