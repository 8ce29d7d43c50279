/**
 * Where every conflict (trinary -1) lands: CONFLICT ACKs from the scatter engine and CONFLICT
 * reports on the lead's conflict subject. Each is triaged with shared's triageConflict (priority,
 * escalation, suggested resolution), appended to the append-only log with the exact bytes and
 * signature it arrived with, held in the quarantine store, and escalated to the parent lead from
 * the configured priority up. Appending is idempotent by conflict id, so a redelivered report is
 * confirmed without being quarantined or escalated twice.
 */
import {
  PROTOCOL_VERSION,
  newMessageId,
  triageConflict,
  type Ack,
  type Clock,
  type ConflictDetail,
  type ConflictPriority,
  type ConflictReport,
  type ConflictTriage,
} from '@mesh30k/shared';
import type { Logger } from '../lib/logger.js';
import type { ConflictLog, DeadLetters, QuarantineStore } from '../store/index.js';

export const CONFLICT_EVENTS = Object.freeze({
  recorded: 'conflict.recorded',
  duplicate: 'conflict.duplicate',
  escalated: 'conflict.escalated',
  escalationFailed: 'conflict.escalation-failed',
  notEscalated: 'conflict.not-escalated',
} as const);

/** One conflict as it arrived: the parsed fields and the signed bytes behind them. */
export interface ConflictArrival {
  readonly conflictId: string;
  readonly agentId: string;
  readonly operationId: string | null;
  readonly messageId: string;
  readonly detail: ConflictDetail;
  readonly reportedPriority: ConflictPriority | null;
  readonly source: 'ack' | 'report';
  readonly signerId: string;
  readonly signature: string;
  readonly body: Uint8Array;
}

/** Sends a CONFLICT to the parent lead and resolves once it confirmed (rejects otherwise). */
export type ParentEscalation = (report: ConflictReport) => Promise<void>;

export interface ConflictDeskDeps {
  readonly clock: Clock;
  readonly log: ConflictLog;
  readonly quarantine: QuarantineStore;
  readonly deadLetters: DeadLetters;
  readonly logger: Logger;
  /** This lead: the sender of escalated reports. */
  readonly leadId: string;
  /** Absent when the lead has no parent: escalations are then logged, not sent. */
  readonly escalate?: ParentEscalation;
}

export interface ConflictDeskOptions {
  readonly escalateAt: number;
}

export interface ConflictRecord {
  readonly fresh: boolean;
  readonly triage: ConflictTriage;
  readonly escalation: 'sent' | 'not-configured' | 'below-threshold' | 'duplicate';
}

export class ConflictDesk {
  /** Escalations in flight, so stop() can wait for them. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly deps: ConflictDeskDeps,
    private readonly options: ConflictDeskOptions,
  ) {}

  /** A CONFLICT ACK; its conflict id is the ACK's message id (the engine keeps one ACK per agent). */
  fromAck(ack: Ack, frame: { body: Uint8Array; signerId: string; signature: string }): ConflictRecord | null {
    if (ack.conflict === undefined) return null;
    return this.record({
      conflictId: ack.message_id,
      agentId: ack.agent_id,
      operationId: ack.operation_id,
      messageId: ack.message_id,
      detail: ack.conflict,
      reportedPriority: null,
      source: 'ack',
      ...frame,
    });
  }

  fromReport(report: ConflictReport, frame: { body: Uint8Array; signerId: string; signature: string }): ConflictRecord {
    return this.record({
      conflictId: report.conflict_id,
      agentId: report.agent_id,
      operationId: report.operation_id ?? null,
      messageId: report.message_id,
      detail: report.detail,
      reportedPriority: report.priority,
      source: 'report',
      ...frame,
    });
  }

  record(arrival: ConflictArrival): ConflictRecord {
    const triage = triageConflict(arrival.detail, { escalateToParentAt: this.options.escalateAt });
    const now = this.deps.clock.now();
    const fresh = this.deps.log.append({
      conflictId: arrival.conflictId,
      receivedAt: now,
      agentId: arrival.agentId,
      operationId: arrival.operationId,
      conflictType: arrival.detail.type,
      priority: triage.priority,
      signerId: arrival.signerId,
      signature: arrival.signature,
      body: arrival.body,
    });
    const ids = { conflict_id: arrival.conflictId, agent_id: arrival.agentId, operation_id: arrival.operationId };
    if (!fresh) {
      this.deps.logger.debug({ event: CONFLICT_EVENTS.duplicate, ...ids }, 'conflict already recorded');
      return { fresh, triage, escalation: 'duplicate' };
    }
    this.deps.quarantine.hold({
      conflictId: arrival.conflictId,
      agentId: arrival.agentId,
      messageId: arrival.messageId,
      data: {
        source: arrival.source,
        operation_id: arrival.operationId,
        detail: arrival.detail,
        priority: triage.priority,
        reported_priority: arrival.reportedPriority,
        resolve_within_ms: triage.resolveWithinMs,
        suggested_resolution: triage.strategy,
      },
      at: now,
    });
    this.deps.logger.info(
      { event: CONFLICT_EVENTS.recorded, ...ids, conflict_type: arrival.detail.type, priority: triage.priority, reported_priority: arrival.reportedPriority, resolution: triage.strategy.method },
      'conflict recorded',
    );
    if (triage.priority < this.options.escalateAt) return { fresh, triage, escalation: 'below-threshold' };
    if (this.deps.escalate === undefined) {
      this.deps.logger.warn({ event: CONFLICT_EVENTS.notEscalated, ...ids, priority: triage.priority }, 'conflict would be escalated, but this lead has no parent');
      return { fresh, triage, escalation: 'not-configured' };
    }
    this.send(arrival, triage.priority, this.deps.escalate);
    return { fresh, triage, escalation: 'sent' };
  }

  /** Conflicts logged at or after `since` (lead clock). */
  countSince(since: number): number {
    return this.deps.log.countSince(since);
  }

  /** Waits for escalations in flight. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /**
   * The parent hears of the conflict from this lead, an agent of the parent, under this lead's
   * own signature (the agent's key may not be enrolled there); the conflict id is kept, so the
   * parent dedupes, and the agent's original bytes stay in this lead's log.
   */
  private send(arrival: ConflictArrival, priority: ConflictPriority, escalate: ParentEscalation): void {
    const now = this.deps.clock.now();
    const report: ConflictReport = {
      v: PROTOCOL_VERSION,
      message_id: newMessageId(now),
      sender_id: this.deps.leadId,
      created_at: now,
      ttl_ms: 60_000,
      kind: 'CONFLICT',
      conflict_id: arrival.conflictId,
      agent_id: this.deps.leadId,
      ...(arrival.operationId === null ? {} : { operation_id: arrival.operationId }),
      conflict_type: arrival.detail.type,
      priority,
      detail: { ...arrival.detail, detail: `from ${arrival.agentId}: ${arrival.detail.detail}`.slice(0, 1_024) },
    };
    const ids = { conflict_id: arrival.conflictId, agent_id: arrival.agentId, operation_id: arrival.operationId };
    const done = escalate(report)
      .then(() => this.deps.logger.info({ event: CONFLICT_EVENTS.escalated, ...ids, priority }, 'conflict escalated to the parent lead'))
      .catch((error: unknown) => {
        this.deps.logger.error({ event: CONFLICT_EVENTS.escalationFailed, ...ids, err: error }, 'conflict escalation failed; dead-lettered');
        this.deps.deadLetters.add({
          createdAt: this.deps.clock.now(),
          operationId: arrival.operationId,
          agentId: arrival.agentId,
          kind: 'conflict.escalation',
          reason: error instanceof Error ? error.message : String(error),
          attempts: 1,
          payload: report,
        });
      })
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }
}
