import type { ConflictDetail, ProcessingStats } from '@mesh30k/shared';

/**
 * What the Worker asks of its Durable Object, the one place its state outlives a request:
 * seen message ids, the context hash, the clock offset the lead last gave, quarantined
 * conflicts and processing statistics. Plain data only, so it crosses the RPC boundary.
 */

export interface AdmitRequest {
  kind: 'COORDINATE' | 'PING';
  messageId: string;
  /** The message's created_at (mesh time) and ttl_ms. */
  createdAt: number;
  ttlMs: number;
  /**
   * mesh time - Worker clock, as the lead stated it inside the signed message; remembered
   * once the message is admitted. Absent: the last one remembered (0 before any).
   */
  clockOffsetMs?: number;
  /** The signing lead's id and the lease epoch it stamped (HA leads): fenced per lead id. */
  leadId?: string;
  leaseEpoch?: number;
}

export type AdmitRefusalCode = 'REPLAYED' | 'EXPIRED' | 'FROM_THE_FUTURE' | 'INVALID_FIELDS' | 'LEASE_FENCED';

export type AdmitResult = { ok: true; snapshot: AgentSnapshot } | { ok: false; code: AdmitRefusalCode; message: string };

export interface AgentSnapshot {
  contextHash: string;
  /** mesh time - Worker clock, in ms: the message's own, else the last the lead gave. */
  clockOffsetMs: number;
  /** False until some COORDINATE has carried an offset: mesh time is then the Worker clock. */
  offsetKnown: boolean;
  frozen: boolean;
  stats: ProcessingStats;
}

export interface CompleteRequest {
  coordinateId: string;
  operationId: string;
  /** Worker clock from receipt to the end of the verb handler. */
  processingMs: number;
  /** Set when the verb changes the context: the payload hash folded into the context hash. */
  advanceWith?: string;
  /** A conflict to keep in quarantine until an operator or the lead resolves it. */
  conflict?: ConflictDetail;
}

export interface CompleteResult {
  contextHash: string;
}

/** The narrow interface the routes depend on; the Durable Object stub implements it. */
export interface AgentStatePort {
  admit(request: AdmitRequest): Promise<AdmitResult>;
  complete(request: CompleteRequest): Promise<CompleteResult>;
}
