/**
 * Enrollment requests that agents sent over NATS (subjects.join), waiting for an operator:
 * "permit join". In memory and bounded: an agent repeats its request until it is enrolled, so a
 * lead restart loses nothing but a rejection (the agent then shows up as pending again).
 */
import type { EnrollmentRequest, SignedRecord } from '@mesh30k/shared';

export type PendingState = 'pending' | 'rejected';

export interface PendingEnrollment {
  readonly agentId: string;
  readonly request: EnrollmentRequest;
  /** The request as the agent signed it, so an operator can sign it elsewhere (root kept offline). */
  readonly signed: SignedRecord;
  readonly state: PendingState;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  /** Requests received for this agent and key. */
  readonly requests: number;
  readonly decidedAt?: number;
  readonly reason?: string;
}

export type NoteOutcome = { readonly state: PendingState; readonly isNew: boolean; readonly replacedKey: boolean };

/** Rejected agents are remembered this long, so their repeated requests stay rejected. */
export const REJECTION_MEMORY_MS = 24 * 3_600_000;
/** At most this many entries; the oldest seen is dropped first. */
export const MAX_PENDING = 1_000;

export class PendingEnrollments {
  private readonly entries = new Map<string, PendingEnrollment>();

  constructor(private readonly limits: { max: number; rejectionMemoryMs: number } = { max: MAX_PENDING, rejectionMemoryMs: REJECTION_MEMORY_MS }) {}

  /**
   * Records a verified request. A request with a different key for the same agent id replaces
   * the entry (and is pending again): the operator sees the key it would accept.
   */
  note(request: EnrollmentRequest, signed: SignedRecord, now: number): NoteOutcome {
    this.forgetOld(now);
    const known = this.entries.get(request.agent_id);
    const sameKey = known !== undefined && known.request.public_key === request.public_key;
    if (known !== undefined && sameKey) {
      const next = { ...known, request, signed, lastSeenAt: now, requests: known.requests + 1 };
      // Re-insert: the map's order is the order of last sight, used for eviction.
      this.entries.delete(request.agent_id);
      this.entries.set(request.agent_id, next);
      return { state: next.state, isNew: false, replacedKey: false };
    }
    this.entries.delete(request.agent_id);
    while (this.entries.size >= this.limits.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(request.agent_id, { agentId: request.agent_id, request, signed, state: 'pending', firstSeenAt: now, lastSeenAt: now, requests: 1 });
    return { state: 'pending', isNew: true, replacedKey: known !== undefined };
  }

  get(agentId: string): PendingEnrollment | undefined {
    return this.entries.get(agentId);
  }

  list(state?: PendingState): PendingEnrollment[] {
    return [...this.entries.values()].filter((e) => state === undefined || e.state === state).sort((a, b) => a.firstSeenAt - b.firstSeenAt || (a.agentId < b.agentId ? -1 : 1));
  }

  /** False when nothing is known for the agent. Rejecting again is fine. */
  reject(agentId: string, now: number, reason: string): boolean {
    const known = this.entries.get(agentId);
    if (known === undefined) return false;
    this.entries.set(agentId, { ...known, state: 'rejected', decidedAt: now, reason });
    return true;
  }

  /** The agent was enrolled (by accept or by an operator-signed enrollment): nothing pends. */
  remove(agentId: string): void {
    this.entries.delete(agentId);
  }

  private forgetOld(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.state === 'rejected' && now - (entry.decidedAt ?? entry.lastSeenAt) > this.limits.rejectionMemoryMs) this.entries.delete(id);
    }
  }
}
