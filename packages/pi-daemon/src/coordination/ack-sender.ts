import type { Ack, ConflictDetail, ConflictReport, Coordinate, Priority, TrinaryState } from '@mesh30k/shared';
import { messageHeader, type AgentContext } from '../agent/context.js';
import { LogEvent } from '../logging/events.js';
import { isBusError } from '../nats/errors.js';
import { checkKind, encodeFrame, encodeFrameNow, requestConfirmedFrame, type Confirmation, type EncodedFrame, type Route } from '../nats/frames.js';
import { confirmingLead, isPermanentRefusal, streamOf } from './outbox-relay.js';
import type { OutboxKind } from '../ports.js';

/** What an ACK names of the COORDINATE it answers (all a refused frame's head may offer). */
export type AckSubject = Pick<Coordinate, 'message_id' | 'operation_id' | 'release_mode' | 'priority'>;

/** The facts of one answer to a COORDINATE; everything else in the ACK is derived. */
export interface AckFacts {
  coordinate: AckSubject;
  state: TrinaryState;
  receivedAtLocal: number;
  /** The ready (or hand-back) instant on the agent's clock, stamped before this is built. */
  readyAtLocal: number;
  processingMs: number;
  conflict?: ConflictDetail;
  result?: unknown;
  refusal?: { code: string; message: string };
  cacheHit?: boolean;
}

/** An ACK built and signed ahead of its release: sending it is one synchronous hand-over to the bus. */
export interface PreparedAck {
  readonly ack: Ack;
  readonly frame: EncodedFrame;
  /** Signed in the release itself (signNow), not ahead of it. */
  readonly signedAtRelease?: boolean;
}

const ACK_ROUTE = 'ack' as const;

/** Conflict priorities run 0-4; the outbox keeps 0-3. */
function outboxPriority(priority: number): Priority {
  return Math.min(3, Math.max(0, Math.trunc(priority))) as Priority;
}

/**
 * Signs and sends ACKs and conflict reports as NATS requests and waits for the lead's
 * `{"ok":true}`. Anything not confirmed (down, timeout, no responders) goes to the outbox and
 * is delivered later from there; nothing is left to the client's reconnect buffer.
 */
export class AckSender {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly ctx: AgentContext,
    private readonly onOutboxed: () => void,
  ) {}

  build(facts: AckFacts): Ack {
    const { coordinate } = facts;
    const ack: Ack = {
      ...messageHeader(this.ctx),
      causation_id: coordinate.message_id,
      kind: 'ACK',
      operation_id: coordinate.operation_id,
      coordinate_id: coordinate.message_id,
      agent_id: this.ctx.identity.agentId,
      trinary_state: facts.state,
      release_mode: coordinate.release_mode,
      received_at_local: facts.receivedAtLocal,
      ready_at_local: facts.readyAtLocal,
      ready_at_mesh: this.ctx.clock.toMesh(facts.readyAtLocal),
      processing_ms: Math.max(0, facts.processingMs),
      late: false,
    };
    if (facts.conflict !== undefined) ack.conflict = facts.conflict;
    if (facts.result !== undefined) ack.result = facts.result;
    if (facts.refusal !== undefined) ack.refusal = facts.refusal;
    if (facts.cacheHit === true) ack.cache_hit = true;
    return ack;
  }

  /** Sends an ACK; returns at once (the send is tracked for flush()). */
  sendAck(ack: Ack, priority: Priority, onDispatched?: () => void): void {
    this.track(this.deliver({ family: ACK_ROUTE, id: this.ctx.identity.leadId }, 'ACK', ack, priority, ack.operation_id, undefined, onDispatched));
  }

  /** Signs an ACK now, to be sent later with sendPrepared (hold mode: signed before T, sent at T). */
  async prepare(ack: Ack): Promise<PreparedAck> {
    checkKind(ACK_ROUTE, ack.kind);
    return { ack, frame: await encodeFrame(ack, this.ctx.self) };
  }

  /**
   * Signs an ACK at once, without a promise, when this agent's signer can (node:crypto): a hold
   * release that came later than the READY signed ahead of it says its real instant and still
   * leaves inside the release. Undefined when the signer only signs asynchronously.
   */
  signNow(ack: Ack): PreparedAck | undefined {
    checkKind(ACK_ROUTE, ack.kind);
    const frame = encodeFrameNow(ack, this.ctx.self);
    return frame === undefined ? undefined : { ack, frame, signedAtRelease: true };
  }

  /**
   * Sends a prepared ACK: the bus has it before this returns (no signing, no await in between);
   * the confirmation and any fall-back to the outbox follow as for sendAck. `onDispatched` is
   * called as soon as the bus has it (or the outbox, when not connected): here, before this returns.
   */
  sendPrepared(prepared: PreparedAck, priority: Priority, onDispatched?: () => void): void {
    const { ack, frame } = prepared;
    this.track(this.deliver({ family: ACK_ROUTE, id: this.ctx.identity.leadId }, 'ACK', ack, priority, ack.operation_id, frame, onDispatched));
  }

  buildConflict(detail: ConflictDetail, priority: ConflictReport['priority'], coordinate?: Coordinate): ConflictReport {
    const header = messageHeader(this.ctx);
    return {
      ...header,
      kind: 'CONFLICT',
      conflict_id: header.message_id,
      agent_id: this.ctx.identity.agentId,
      ...(coordinate === undefined ? {} : { operation_id: coordinate.operation_id, coordinate_id: coordinate.message_id }),
      conflict_type: detail.type,
      priority,
      detail,
    };
  }

  sendConflict(report: ConflictReport): void {
    this.ctx.counters.conflicts++;
    this.track(this.deliver({ family: 'conflict', id: this.ctx.identity.leadId }, 'CONFLICT', report, outboxPriority(report.priority), report.operation_id));
  }

  /** Resolves when every send started so far is confirmed or in the outbox. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async deliver(
    route: Route,
    kind: OutboxKind,
    message: Ack | ConflictReport,
    priority: Priority,
    operation: string | undefined,
    frame?: EncodedFrame,
    onDispatched?: () => void,
  ): Promise<void> {
    const { ctx } = this;
    const ids = { operation, message: message.message_id, kind };
    if (!ctx.bus.connected) {
      this.toOutbox(kind, message, priority, ids, 'NOT_CONNECTED');
      onDispatched?.();
      return;
    }
    try {
      const peer = confirmingLead(ctx);
      let confirmed: Promise<Confirmation>;
      try {
        // Signed first when it was not prepared; the bus has the request once this statement ran.
        confirmed = requestConfirmedFrame(peer, route, message, frame ?? (await this.encode(route, message)));
      } finally {
        onDispatched?.();
      }
      const confirmation = await confirmed;
      if (confirmation.ok) {
        ctx.counters.acksSent++;
        ctx.log.debug({ event: LogEvent.ACK_SENT, ...ids }, `${kind} confirmed by the lead`);
        return;
      }
      if (isPermanentRefusal(confirmation.code)) {
        // Retrying cannot help: kept in the dead letters for the operator, not queued forever.
        ctx.log.error({ event: LogEvent.ACK_REFUSED_BY_LEAD, ...ids, code: confirmation.code }, `the lead refused the ${kind}: ${confirmation.message}`);
        this.toDeadLetters(kind, message, priority, confirmation);
        return;
      }
      this.toOutbox(kind, message, priority, ids, confirmation.code);
    } catch (error) {
      if (!isBusError(error)) {
        ctx.log.error({ event: LogEvent.OUTBOX_ENQUEUED, ...ids, err: error }, `could not send the ${kind}`);
      }
      this.toOutbox(kind, message, priority, ids, isBusError(error) ? error.code : 'FAILED');
    }
  }

  private encode(route: Route, message: Ack | ConflictReport): Promise<EncodedFrame> {
    checkKind(route.family, message.kind);
    return encodeFrame(message, this.ctx.self);
  }

  private toDeadLetters(kind: OutboxKind, message: Ack | ConflictReport, priority: Priority, refusal: { code: string; message: string }): void {
    const { ctx } = this;
    try {
      const [seq] = ctx.outbox.enqueue([{ kind, priority, body: JSON.stringify(message) }]);
      if (seq !== undefined) ctx.outbox.deadLetter(seq, { code: refusal.code, reason: refusal.message });
      ctx.counters.outboxDeadLettered++;
    } catch (error) {
      ctx.log.error({ event: LogEvent.OUTBOX_DROPPED, operation: message.operation_id, message: message.message_id, kind, err: error }, `${kind} could not be kept as a dead letter`);
    }
  }

  private toOutbox(kind: OutboxKind, message: Ack | ConflictReport, priority: Priority, ids: object, code: string): void {
    const { ctx } = this;
    try {
      const [seq] = ctx.outbox.enqueue([{ kind, priority, body: JSON.stringify(message), stream: streamOf(kind === 'ACK' ? 'ACK' : 'CONFLICT', message.operation_id) }]);
      ctx.counters.acksOutboxed++;
      ctx.log.info({ event: LogEvent.OUTBOX_ENQUEUED, ...ids, code, seq }, `${kind} not confirmed (${code}); kept in the outbox`);
      this.onOutboxed();
    } catch (error) {
      ctx.log.error({ event: LogEvent.OUTBOX_DROPPED, ...ids, err: error }, `${kind} could not be written to the outbox and is lost`);
    }
  }
}
