import { MeshError } from '../lib/errors.js';

/** Sends are batched per bucket of this width (spec 3.2); a timer per agent would not scale. */
export const DEFAULT_BUCKET_MS = 10;

export interface SendBucket {
  /** When to send the whole bucket: its earliest member's send time. */
  sendAt: number;
  /** Members in order of their own send times. */
  agentIds: string[];
}

/**
 * Groups sends into buckets at most `bucketMs` wide, sorted by time. A bucket opens at the
 * earliest unassigned send and takes every send before sendAt + bucketMs, so each agent is
 * sent at most bucketMs early and never late, and no bucket fires before the first send
 * (which the scheduler guarantees is not in the past). This greedy cover also uses the fewest
 * buckets of that width, i.e. the fewest timer wake-ups.
 */
export function bucketSends(sends: readonly { agentId: string; sendAt: number }[], bucketMs: number = DEFAULT_BUCKET_MS): SendBucket[] {
  if (!(Number.isFinite(bucketMs) && bucketMs > 0)) {
    throw new MeshError('INVALID_ARGUMENT', 'bucket width must be a positive finite number of ms', { path: 'bucketMs' });
  }
  const sorted = sends.map((s, i) => {
    if (!Number.isFinite(s.sendAt)) {
      throw new MeshError('INVALID_ARGUMENT', `send time of ${s.agentId} is not finite`, { path: `sends.${i}.sendAt` });
    }
    return s;
  });
  sorted.sort((a, b) => a.sendAt - b.sendAt);
  const buckets: SendBucket[] = [];
  let open: SendBucket | undefined;
  for (const s of sorted) {
    if (open === undefined || s.sendAt >= open.sendAt + bucketMs) {
      open = { sendAt: s.sendAt, agentIds: [] };
      buckets.push(open);
    }
    open.agentIds.push(s.agentId);
  }
  return buckets;
}
