/**
 * The last breaker transitions of this lead, in memory: a ring (oldest dropped first) so the
 * dashboard can draw each breaker's state over time without the lead keeping an unbounded log.
 * Lost on restart, like the failure counts; the database keeps only the current open breakers.
 */
import type { BreakerSetEvent, BreakerState } from '@mesh30k/shared';

export const DEFAULT_BREAKER_HISTORY = 256;

export interface BreakerTransitionRecord {
  /** 1, 2, 3... in the order recorded; a reader asks for those after the last it saw. */
  readonly seq: number;
  readonly at: number;
  readonly scope: BreakerSetEvent['scope'];
  readonly targetId: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly kind: BreakerSetEvent['kind'];
  readonly reason: string;
  /** A metrics-only breaker: what it would have done; routing did not change. */
  readonly shadow: boolean;
}

export type BreakerTransitionListener = (record: BreakerTransitionRecord) => void;

export class BreakerHistory {
  private readonly ring: BreakerTransitionRecord[] = [];
  private readonly listeners = new Set<BreakerTransitionListener>();
  private seq = 0;

  constructor(readonly capacity: number = DEFAULT_BREAKER_HISTORY) {}

  /** Transitions pushed out of the ring since the lead started. */
  get dropped(): number {
    return this.seq - this.ring.length;
  }

  /** Records a change of state; an extension (a failed probe, same state) is not one. */
  record(event: BreakerSetEvent): BreakerTransitionRecord | undefined {
    if (event.from === event.to) return undefined;
    const record: BreakerTransitionRecord = { seq: ++this.seq, at: event.at, scope: event.scope, targetId: event.targetId, from: event.from, to: event.to, kind: event.kind, reason: event.reason, shadow: event.shadow };
    this.ring.push(record);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const listener of this.listeners) listener(record);
    return record;
  }

  /** Oldest first: the transitions after `afterSeq`, at most `limit` of them (the newest). */
  list(afterSeq = 0, limit = this.capacity): BreakerTransitionRecord[] {
    const after = this.ring.filter((r) => r.seq > afterSeq);
    return limit >= after.length ? after : after.slice(after.length - limit);
  }

  /** Told of every transition recorded (the dashboard's live feed); returns the unsubscribe. */
  on(listener: BreakerTransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
