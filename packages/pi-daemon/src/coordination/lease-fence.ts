/**
 * The agent's side of lead fencing: one EpochFence per agent, shared by heartbeat replies,
 * COORDINATEs and control messages, keyed by the agent's lead id (the lease its leads share).
 * A message stamped with a lower epoch than any the agent has seen comes from a lead that lost
 * its lease to a successor: refused, counted (LEASE_FENCED) and never acted on. An unstamped
 * message comes from a lead without HA and passes, as before.
 */
import type { EpochFence } from '@mesh30k/shared';

export const LEASE_FENCED = 'LEASE_FENCED';

export interface LeaseRefusal {
  readonly code: typeof LEASE_FENCED;
  readonly message: string;
}

/** null when the message may be acted on; else why not. A higher epoch raises the bar at once. */
export function checkLeaseEpoch(fence: EpochFence, leadId: string, epoch: number | undefined): LeaseRefusal | null {
  if (epoch === undefined) return null;
  const verdict = fence.check(leadId, epoch);
  if (verdict.admitted) return null;
  return { code: LEASE_FENCED, message: `lease epoch ${verdict.epoch} is older than ${verdict.current}: a lead that lost its lease` };
}
