import { CONFLICT, TRANSIT, conflictPriority } from '@mesh30k/shared';
import type { ConflictDetail, Coordinate, ImpedanceProfiler } from '@mesh30k/shared';
import type { AgentContext } from '../agent/context.js';
import { countCode } from '../agent/counters.js';
import { LogEvent } from '../logging/events.js';
import type { AckSender, AckSubject } from './ack-sender.js';
import type { ContextHash } from './context-hash.js';
import type { DeclineCode } from './intake.js';

export interface NonReadyAckDeps {
  ctx: AgentContext;
  sender: AckSender;
  context: ContextHash;
  profiler: ImpedanceProfiler;
}

/** The ACKs that are not READY: TRANSIT (declined or handed back) and CONFLICT, each counted and logged. */
export class NonReadyAcks {
  constructor(private readonly deps: NonReadyAckDeps) {}

  /** TRANSIT with the reason: the work was not done here (declined, handed back, failed). */
  decline(coordinate: AckSubject, receivedAtLocal: number, code: DeclineCode, message: string, processingMs = 0): void {
    const { sender, ctx } = this.deps;
    countCode(ctx.counters.declinedByCode, code);
    ctx.log.info({ event: LogEvent.COORDINATE_REFUSED, operation: coordinate.operation_id, message: coordinate.message_id, code }, `COORDINATE declined: ${message}`);
    const ack = sender.build({
      coordinate,
      state: TRANSIT,
      receivedAtLocal,
      readyAtLocal: ctx.clock.localNow(),
      processingMs,
      refusal: { code, message: message.slice(0, 512) },
    });
    sender.sendAck(ack, coordinate.priority);
  }

  /** CONFLICT: the work collides with the agent's state; the context hash is the agent's unless the detail has one. */
  conflict(coordinate: Coordinate, receivedAtLocal: number, processingMs: number, detail: Omit<ConflictDetail, 'context_hash'> & { context_hash?: string }, result?: unknown): void {
    const { sender, ctx, context, profiler } = this.deps;
    const conflict: ConflictDetail = { ...detail, context_hash: detail.context_hash ?? context.forConflict };
    ctx.counters.conflicts++;
    profiler.recordOutcome(true);
    ctx.log.warn(
      { event: LogEvent.COORDINATE_CONFLICT, operation: coordinate.operation_id, message: coordinate.message_id, type: conflict.type, priority: conflictPriority(conflict) },
      `CONFLICT: ${conflict.detail}`,
    );
    const ack = sender.build({ coordinate, state: CONFLICT, receivedAtLocal, readyAtLocal: ctx.clock.localNow(), processingMs, conflict, result });
    sender.sendAck(ack, coordinate.priority);
  }
}
