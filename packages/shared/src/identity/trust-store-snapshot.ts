import { z } from 'zod';
import { EpochMs, Id } from '../protocol/primitives.js';
import { EnrollmentRecord } from './enrollment.js';
import { PublicKeyText } from './public-key.js';

/** Bumped when the snapshot's shape changes, so an old file is refused rather than misread. */
export const TRUST_STORE_SNAPSHOT_VERSION = 1;

/** The trust store's state as plain JSON data (nulls, not undefined, so it survives a round trip). */
export const TrustStoreSnapshot = z.object({
  v: z.literal(TRUST_STORE_SNAPSHOT_VERSION),
  keys: z.array(
    z.object({
      record: EnrollmentRecord,
      since: EpochMs,
      via: z.enum(['enrollment', 'rotation']),
      retire_at: EpochMs.nullable(),
      rotated_to: PublicKeyText.nullable(),
      revoked_at: EpochMs.nullable(),
    }),
  ),
  revoked_keys: z.array(z.object({ public_key: PublicKeyText, revoked_at: EpochMs })),
  revoked_agents: z.array(z.object({ agent_id: Id, revoked_at: EpochMs })),
});
export type TrustStoreSnapshot = z.infer<typeof TrustStoreSnapshot>;
