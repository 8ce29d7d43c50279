/**
 * Stamps what a lead sends with authority (COORDINATE, FREEZE, THAW, CIRCUIT) with the epoch of
 * the lease it holds, before signing: agents keep the highest epoch they have seen and refuse a
 * lower one, so a lead that lost its lease cannot be obeyed after its successor has spoken.
 */
import { LeadError } from '../lib/errors.js';

/** The epoch of the lease this lead holds now, null when it holds none (HA leads only). */
export type LeaseEpochSource = () => number | null;

/**
 * `message` with `lease_epoch` set; unchanged without HA (`source` undefined). Throws LEASE_LOST
 * when an HA lead holds no lease: it must not send at all (its own deadline passed, paused or
 * cut off), and the keeper is about to stop the process.
 */
export function stampLeaseEpoch<M extends object>(message: M, source: LeaseEpochSource | undefined): M & { lease_epoch?: number } {
  if (source === undefined) return message;
  const epoch = source();
  if (epoch === null) throw new LeadError('LEASE_LOST', 'this lead holds no HA lease: it sends nothing with authority');
  return { ...message, lease_epoch: epoch };
}
