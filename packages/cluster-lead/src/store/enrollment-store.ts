import { SignedRecord } from '@mesh30k/shared';
import type { Db } from './database.js';

/**
 * Signed enrollments as they were verified (the envelope, so they can be verified again),
 * keyed by public key. The trust store's own state (rotations, revocations) is kept beside
 * them in lead_state.
 */
export class EnrollmentStore {
  private readonly upsert;
  private readonly selectAll;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO enrollments (public_key, agent_id, signed, added_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (public_key) DO UPDATE SET agent_id = excluded.agent_id, signed = excluded.signed, added_at = excluded.added_at`,
    );
    this.selectAll = db.prepare('SELECT signed FROM enrollments').pluck();
  }

  putAll(items: readonly { publicKey: string; agentId: string; signed: SignedRecord }[], at: number): void {
    this.db.transaction(() => {
      for (const item of items) this.upsert.run(item.publicKey, item.agentId, JSON.stringify(item.signed), at);
    })();
  }

  /** Every stored envelope that still has the right shape. */
  all(): SignedRecord[] {
    const out: SignedRecord[] = [];
    for (const text of this.selectAll.all() as string[]) {
      const parsed = SignedRecord.safeParse(JSON.parse(text));
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }
}
