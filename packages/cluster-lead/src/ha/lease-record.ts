import { z } from 'zod';

/**
 * What a lease entry holds: who holds it and the epoch it was taken at. The epoch is the KV
 * revision of the write that took the lease; the taking write cannot know its own revision,
 * so it stores `epoch: null` and the first renewal fills it in. Revisions of one bucket only
 * grow, so every take gets a higher epoch than any before it.
 */
export const LeaseRecordSchema = z
  .object({
    holder: z.string().min(1, 'holder must name the lead that holds the lease'),
    epoch: z.number().int().positive().nullable(),
  })
  .strict();

export type LeaseRecord = z.infer<typeof LeaseRecordSchema>;

/** The epoch of a record read at `revision`. */
export function epochOf(record: LeaseRecord, revision: number): number {
  return record.epoch ?? revision;
}

export function encodeLeaseRecord(record: LeaseRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

/** The record, or why the bytes are not one (the entry is then treated as held by nobody known). */
export function decodeLeaseRecord(bytes: Uint8Array): { ok: true; record: LeaseRecord } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { ok: false, problem: 'lease entry is not JSON' };
  }
  const parsed = LeaseRecordSchema.safeParse(raw);
  if (parsed.success) return { ok: true, record: parsed.data };
  return { ok: false, problem: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(entry)'}: ${issue.message}`).join('; ') };
}
