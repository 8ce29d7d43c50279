/**
 * The cascade's child-lead table on the lead's database (store/cascade-children.ts). A row that
 * does not read back as an entry (its summary fails the protocol schema) is logged and skipped:
 * that child is learnt again from its next summary. A failed write is logged; the table in
 * memory is still right, only a restart would miss the change.
 */
import { Summary } from '@mesh30k/shared';
import { z } from 'zod';
import type { ChildLeadEntry, ChildTableStore } from './cascade/index.js';
import type { Logger } from './lib/logger.js';
import type { CascadeChildren } from './store/index.js';

const StoredEntry = z.object({
  leadId: z.string(),
  summary: Summary,
  receivedAt: z.number(),
  firstSeenAt: z.number(),
  summaries: z.number().int().min(0),
  hopSamplesMs: z.array(z.number()),
  lastCoordinateRttMs: z.number().nullable(),
});

export function leadChildStore(rows: CascadeChildren, logger: Logger): ChildTableStore {
  return {
    load(): ChildLeadEntry[] {
      const entries: ChildLeadEntry[] = [];
      for (const row of rows.load()) {
        const parsed = StoredEntry.safeParse(row.entry);
        if (parsed.success && parsed.data.leadId === row.leadId) entries.push(parsed.data);
        else logger.warn({ child_lead_id: row.leadId, issue: parsed.success ? 'lead id differs' : parsed.error.issues[0]?.message }, 'stored child lead cannot be read; it is learnt again from its next summary');
      }
      return entries;
    },
    save(entry: ChildLeadEntry): void {
      try {
        rows.save(entry.leadId, entry.receivedAt, entry);
      } catch (error) {
        logger.error({ err: error, child_lead_id: entry.leadId }, 'could not store a child lead');
      }
    },
  };
}
