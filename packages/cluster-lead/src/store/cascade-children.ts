import type { Db } from './database.js';

/** One child lead as stored; `entry` is JSON the cascade's child table defines. */
export interface StoredChildLead {
  readonly leadId: string;
  readonly receivedAt: number;
  readonly entry: unknown;
}

/**
 * The parent's table of child leads (src/cascade/child-table.ts), one row per child, written
 * with each summary, so a restarted parent knows its children (their subtrees, lead times and
 * hops) before their next summaries arrive.
 */
export class CascadeChildren {
  private readonly upsert;
  private readonly all;

  constructor(db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO cascade_children (lead_id, received_at, entry) VALUES (?, ?, ?)
       ON CONFLICT (lead_id) DO UPDATE SET received_at = excluded.received_at, entry = excluded.entry`,
    );
    this.all = db.prepare('SELECT lead_id, received_at, entry FROM cascade_children ORDER BY lead_id');
  }

  save(leadId: string, receivedAt: number, entry: unknown): void {
    this.upsert.run(leadId, receivedAt, JSON.stringify(entry));
  }

  load(): StoredChildLead[] {
    return (this.all.all() as { lead_id: string; received_at: number; entry: string }[]).map((row) => ({
      leadId: row.lead_id,
      receivedAt: row.received_at,
      entry: JSON.parse(row.entry) as unknown,
    }));
  }
}
