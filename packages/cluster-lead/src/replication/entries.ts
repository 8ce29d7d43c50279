/**
 * What a KV entry holds: an envelope (the writer's lease epoch and when it wrote) around the
 * state of one key, and per kind the zod schema a follower checks it against before applying.
 */
import { MeshMode, SignedRecord, TrustStoreSnapshot } from '@mesh30k/shared';
import { z } from 'zod';
import { StoredBreakers } from '../breakers/index.js';
import { StoredControl } from '../ingest/index.js';
import { PersistedAgent } from '../registry/index.js';
import type { Kind } from './buckets.js';

export const ENTRY_VERSION = 1;

export const Envelope = z.object({
  v: z.literal(ENTRY_VERSION),
  /** The writer's lease epoch; null for a lead without HA. */
  epoch: z.number().int().min(0).nullable(),
  at: z.number(),
  data: z.unknown(),
});

/** Keys of the control bucket. */
export const CONTROL_KEYS = { freeze: 'freeze', modeOverride: 'mode-override' } as const;
/** Key of the breakers bucket (its one entry: the breakers that are not closed). */
export const BREAKERS_KEY = 'open';
/** Key of the trust bucket's revoked-key list (agent ids hold no '.', so it meets none of them). */
export const REVOKED_KEYS_KEY = 'x.revoked-keys';

/** One agent's part of the trust store: its keys and when the agent was revoked, if it was. */
export const TrustAgentEntry = z.object({
  keys: z.array(TrustStoreSnapshot.shape.keys.element).max(64),
  revoked_at: z.number().nullable(),
});
export type TrustAgentEntry = z.infer<typeof TrustAgentEntry>;
export const RevokedKeysEntry = TrustStoreSnapshot.shape.revoked_keys;

export const EnrollmentEntry = z.object({ publicKey: z.string().min(1).max(64), agentId: z.string().min(1).max(64), signed: SignedRecord });

export const QuarantineEntry = z.object({
  conflictId: z.string().min(1).max(256),
  agentId: z.string().min(1).max(128),
  messageId: z.string().max(256).nullable(),
  data: z.string(),
  quarantinedAt: z.number(),
  status: z.enum(['held', 'resolved', 'released']),
  resolvedAt: z.number().nullable(),
  resolution: z.string().nullable(),
});

/** The schema of a key's state, by kind (and by key where a bucket holds several shapes). */
export function schemaFor(kind: Kind, key: string): z.ZodType | undefined {
  switch (kind) {
    case 'registry':
      return PersistedAgent;
    case 'trust':
      return key === REVOKED_KEYS_KEY ? RevokedKeysEntry : TrustAgentEntry;
    case 'enrollments':
      return EnrollmentEntry;
    case 'control':
      return key === CONTROL_KEYS.freeze ? StoredControl : key === CONTROL_KEYS.modeOverride ? MeshMode.nullable() : undefined;
    case 'quarantine':
      return QuarantineEntry;
    case 'breakers':
      return key === BREAKERS_KEY ? StoredBreakers : undefined;
  }
}

export function encodeEntry(epoch: number | null, at: number, data: unknown): Uint8Array {
  return Buffer.from(JSON.stringify({ v: ENTRY_VERSION, epoch, at, data }));
}

export type Decoded = { ok: true; epoch: number | null; data: unknown } | { ok: false; problem: string };

/** The entry's state if its envelope and its state are valid for the kind; why not otherwise. Never throws. */
export function decodeEntry(kind: Kind, key: string, bytes: Uint8Array): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const envelope = Envelope.safeParse(raw);
  if (!envelope.success) return { ok: false, problem: `envelope: ${describe(envelope.error)}` };
  const schema = schemaFor(kind, key);
  if (schema === undefined) return { ok: false, problem: `no key ${key} in the ${kind} bucket` };
  const data = schema.safeParse(envelope.data.data);
  if (!data.success) return { ok: false, problem: describe(data.error) };
  return { ok: true, epoch: envelope.data.epoch, data: data.data };
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? 'invalid' : `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
