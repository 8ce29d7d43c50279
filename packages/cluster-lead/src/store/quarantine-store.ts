import type { Db } from './database.js';

export type QuarantineStatus = 'held' | 'resolved' | 'released';

export interface QuarantinedItem {
  conflictId: string;
  agentId: string;
  messageId: string | null;
  /** The conflicting information, as JSON text. */
  data: string;
  quarantinedAt: number;
  status: QuarantineStatus;
  resolvedAt: number | null;
  resolution: string | null;
}

interface Row {
  conflict_id: string;
  agent_id: string;
  message_id: string | null;
  data: string;
  quarantined_at: number;
  status: QuarantineStatus;
  resolved_at: number | null;
  resolution: string | null;
}

/**
 * Conflicting information held pending resolution (spec 5.1 QuarantineStore). The conflict
 * log records that a conflict happened; this store holds its data until someone resolves it.
 */
export class QuarantineStore {
  private readonly insert;
  private readonly settle;
  private readonly byStatus;
  private readonly one;
  private readonly upsert;
  private readonly listeners: Array<(conflictId: string) => void> = [];

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO quarantine (conflict_id, agent_id, message_id, data, quarantined_at, status)
       VALUES (?, ?, ?, ?, ?, 'held') ON CONFLICT (conflict_id) DO NOTHING`,
    );
    this.settle = db.prepare(`UPDATE quarantine SET status = ?, resolved_at = ?, resolution = ? WHERE conflict_id = ? AND status = 'held'`);
    this.byStatus = db.prepare('SELECT * FROM quarantine WHERE status = ? ORDER BY quarantined_at LIMIT ?');
    this.one = db.prepare('SELECT * FROM quarantine WHERE conflict_id = ?');
    this.upsert = db.prepare(
      `INSERT INTO quarantine (conflict_id, agent_id, message_id, data, quarantined_at, status, resolved_at, resolution)
       VALUES (@conflictId, @agentId, @messageId, @data, @quarantinedAt, @status, @resolvedAt, @resolution)
       ON CONFLICT (conflict_id) DO UPDATE SET agent_id = excluded.agent_id, message_id = excluded.message_id, data = excluded.data,
         quarantined_at = excluded.quarantined_at, status = excluded.status, resolved_at = excluded.resolved_at, resolution = excluded.resolution`,
    );
  }

  /** Calls `listener` with the conflict id after each hold or close that changed a row. */
  observe(listener: (conflictId: string) => void): void {
    this.listeners.push(listener);
  }

  /** Writes an item as it is (a standby applying the active lead's copy); not observed. */
  put(item: QuarantinedItem): void {
    this.upsert.run(item);
  }

  /** True when newly held; false when the conflict was already quarantined. */
  hold(item: { conflictId: string; agentId: string; messageId: string | null; data: unknown; at: number }): boolean {
    const held = this.insert.run(item.conflictId, item.agentId, item.messageId, JSON.stringify(item.data ?? null), item.at).changes === 1;
    if (held) this.changed(item.conflictId);
    return held;
  }

  /** Ends the hold with a resolution (resolved) or without one (released). False if not held. */
  close(conflictId: string, status: Exclude<QuarantineStatus, 'held'>, at: number, resolution: string | null): boolean {
    const closed = this.settle.run(status, at, resolution, conflictId).changes === 1;
    if (closed) this.changed(conflictId);
    return closed;
  }

  private changed(conflictId: string): void {
    for (const listener of this.listeners) listener(conflictId);
  }

  list(status: QuarantineStatus = 'held', limit = 100): QuarantinedItem[] {
    return (this.byStatus.all(status, limit) as Row[]).map(fromRow);
  }

  get(conflictId: string): QuarantinedItem | undefined {
    const row = this.one.get(conflictId) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }
}

function fromRow(row: Row): QuarantinedItem {
  return {
    conflictId: row.conflict_id,
    agentId: row.agent_id,
    messageId: row.message_id,
    data: row.data,
    quarantinedAt: row.quarantined_at,
    status: row.status,
    resolvedAt: row.resolved_at,
    resolution: row.resolution,
  };
}
