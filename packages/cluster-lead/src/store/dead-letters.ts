import type { Db } from './database.js';

/** A send that failed after its retries, kept for an operator to inspect or replay. */
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

export class DeadLetters {
  private readonly insert;
  private readonly recent;

  constructor(db: Db) {
    this.insert = db.prepare(
      'INSERT INTO dead_letters (created_at, operation_id, agent_id, kind, reason, attempts, payload) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.recent = db.prepare('SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?');
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
    return Number(result.lastInsertRowid);
  }

  list(limit = 100): DeadLetter[] {
    return (this.recent.all(limit) as Row[]).map((row) => ({
      id: row.id,
      createdAt: row.created_at,
      operationId: row.operation_id,
      agentId: row.agent_id,
      kind: row.kind,
      reason: row.reason,
      attempts: row.attempts,
      payload: JSON.parse(row.payload) as unknown,
    }));
  }
}
