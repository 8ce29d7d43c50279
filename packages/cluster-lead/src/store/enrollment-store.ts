import { SignedRecord } from '@mesh30k/shared';
import type { Db } from './database.js';

/**
 * Signed enrollments as they were verified (the envelope, so they can be verified again),
 * keyed by public key. The trust store's own state (rotations, revocations) is kept beside
 * them in lead_state.
 */
/** One stored enrollment envelope, keyed by the public key it enrolls. */
export interface StoredEnrollment {
  publicKey: string;
  agentId: string;
  signed: SignedRecord;
}

export class EnrollmentStore {
  private readonly upsert;
  private readonly selectAll;
  private readonly selectKeyed;
  private readonly selectRows;
  private readonly listeners: Array<(items: readonly StoredEnrollment[]) => void> = [];

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO enrollments (public_key, agent_id, signed, added_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (public_key) DO UPDATE SET agent_id = excluded.agent_id, signed = excluded.signed, added_at = excluded.added_at`,
    );
    this.selectAll = db.prepare('SELECT signed FROM enrollments').pluck();
    this.selectKeyed = db.prepare('SELECT public_key AS publicKey, signed FROM enrollments');
    this.selectRows = db.prepare('SELECT public_key AS publicKey, agent_id AS agentId, signed FROM enrollments');
  }

  putAll(items: readonly StoredEnrollment[], at: number): void {
    if (items.length === 0) return;
    this.db.transaction(() => {
      for (const item of items) this.upsert.run(item.publicKey, item.agentId, JSON.stringify(item.signed), at);
    })();
    for (const listener of this.listeners) listener(items);
  }

  /** Calls `listener` with the envelopes of each committed putAll(). */
  observe(listener: (items: readonly StoredEnrollment[]) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Stored envelopes by their signature, with the key each enrolled: a restart recognises an
   * enrollment file's envelope it verified before without verifying it again.
   */
  bySignature(): Map<string, { publicKey: string; signed: SignedRecord }> {
    const out = new Map<string, { publicKey: string; signed: SignedRecord }>();
    for (const row of this.selectKeyed.all() as { publicKey: string; signed: string }[]) {
      const parsed = SignedRecord.safeParse(JSON.parse(row.signed));
      if (parsed.success) out.set(parsed.data.signature, { publicKey: row.publicKey, signed: parsed.data });
    }
    return out;
  }

  /** Every stored enrollment whose envelope still has the right shape, with its key and agent. */
  list(): StoredEnrollment[] {
    const out: StoredEnrollment[] = [];
    for (const row of this.selectRows.all() as { publicKey: string; agentId: string; signed: string }[]) {
      const parsed = SignedRecord.safeParse(JSON.parse(row.signed));
      if (parsed.success) out.push({ publicKey: row.publicKey, agentId: row.agentId, signed: parsed.data });
    }
    return out;
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
