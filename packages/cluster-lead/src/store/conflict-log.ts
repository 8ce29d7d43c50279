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
  private readonly countRows;
  private readonly countFrom;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO conflict_log (conflict_id, received_at, agent_id, operation_id, conflict_type, priority, signer_id, signature, body)
       VALUES (@conflict_id, @received_at, @agent_id, @operation_id, @conflict_type, @priority, @signer_id, @signature, @body)
       ON CONFLICT (conflict_id) DO NOTHING`,
    );
    this.byAgent = db.prepare('SELECT * FROM conflict_log WHERE agent_id = ? ORDER BY seq DESC LIMIT ?');
    this.recent = db.prepare('SELECT * FROM conflict_log ORDER BY seq DESC LIMIT ?');
    this.countRows = db.prepare('SELECT COUNT(*) FROM conflict_log').pluck();
    this.countFrom = db.prepare('SELECT COUNT(*) FROM conflict_log WHERE received_at >= ?').pluck();
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
    return result.changes === 1;
  }

  /** Newest first. */
  list(options: { agentId?: string; limit?: number } = {}): StoredConflict[] {
    const limit = options.limit ?? 100;
    const rows = (options.agentId === undefined ? this.recent.all(limit) : this.byAgent.all(options.agentId, limit)) as Row[];
    return rows.map((row) => ({
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
    }));
  }

  count(): number {
    return this.countRows.get() as number;
  }

  /** Entries received at or after `since` (lead clock). */
  countSince(since: number): number {
    return this.countFrom.get(since) as number;
  }
}
