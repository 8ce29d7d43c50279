/**
 * The agent's side of lead fencing: one EpochFence per agent, shared by heartbeat replies,
 * COORDINATEs and control messages, keyed by the agent's lead id (the lease its leads share).
 * A message stamped with a lower epoch than any the agent has seen comes from a lead that lost
 * its lease to a successor: refused, counted (LEASE_FENCED) and never acted on. An unstamped
 * message comes from a lead without HA and passes, as before.
 *
 * The bar is kept in the agent's state store (SQLite on a Pi) under `lease.epoch.<leadId>`,
 * written each time it rises (once per failover): a restarted agent still refuses the fenced
 * lead's late messages.
 */
import { EpochFence } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { LogEvent } from '../logging/events.js';
import type { StateStore } from '../ports.js';

export const LEASE_FENCED = 'LEASE_FENCED';

export interface LeaseRefusal {
  readonly code: typeof LEASE_FENCED;
  readonly message: string;
}

/** State key of the highest lease epoch seen from `leadId`. */
export function leaseEpochKey(leadId: string): string {
  return `lease.epoch.${leadId}`;
}

/**
 * The agent's fence, starting from the bar its state store kept for `leadId` and writing each
 * raise there. A write that fails is logged; the bar still holds in memory for this run.
 */
export function persistentLeaseFence(state: StateStore, leadId: string, log: Logger): EpochFence {
  const kept = state.get<unknown>(leaseEpochKey(leadId));
  const initial: Array<[string, number]> = typeof kept === 'number' && Number.isSafeInteger(kept) && kept >= 0 ? [[leadId, kept]] : [];
  if (kept !== undefined && initial.length === 0) log.warn({ event: LogEvent.LEASE_EPOCH_NOT_KEPT, key: leaseEpochKey(leadId) }, 'kept lease epoch is not a non-negative integer; ignored');
  return new EpochFence({
    initial,
    onRaise: (lease, epoch) => {
      try {
        state.set(leaseEpochKey(lease), epoch);
      } catch (error) {
        log.error({ event: LogEvent.LEASE_EPOCH_NOT_KEPT, err: error, key: leaseEpochKey(lease), epoch }, 'could not keep the lease epoch; a restart would forget it');
      }
    },
  });
}

/** null when the message may be acted on; else why not. A higher epoch raises the bar at once. */
export function checkLeaseEpoch(fence: EpochFence, leadId: string, epoch: number | undefined): LeaseRefusal | null {
  if (epoch === undefined) return null;
  const verdict = fence.check(leadId, epoch);
  if (verdict.admitted) return null;
  return { code: LEASE_FENCED, message: `lease epoch ${verdict.epoch} is older than ${verdict.current}: a lead that lost its lease` };
}
