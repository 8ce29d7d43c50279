/**
 * One operation from plan to decision: plans it, arms the send timers and the deadline, takes
 * its ACKs, decides with the quorum as soon as everyone sent to has answered (or at the
 * deadline), and keeps its record up to date in the operations history.
 */
import type { Ack, QuorumThresholds, Refusal, Verified } from '@mesh30k/shared';
import type { Logger } from 'pino';
import { AckTiming } from './ack-timing.js';
import { AckCollector } from './collector.js';
import { Dispatcher } from './dispatch.js';
import type { ScatterRefusal } from './errors.js';
import { SCATTER_EVENTS } from './events.js';
import type { ResolvedOperation } from './operation-request.js';
import type { ResolvedScatterOptions } from './options.js';
import { planOperation } from './plan.js';
import type { SendLag } from './send-lag.js';
import type { Plan } from './plan.js';
import type { AckReply, ResumableRun, ScatterDeps, TimerHandle } from './ports.js';
import type { AgentArrival, FailedOverReason, Interruption, LateAck, OperationRecord, ScatterResult } from './record.js';
import { buildResult } from './result.js';

/**
 * ACKs that arrive after the decision are written to the history together, this long after the
 * first of them: each write serialises the whole record (plan and result for every agent), so
 * one write per late ACK is quadratic in the fleet and, at a few thousand agents, blocks the
 * event loop for seconds, which makes more ACKs late.
 */
export const LATE_ACK_SAVE_DELAY_MS = 1_000;

export type RunDeps = Omit<ScatterDeps, 'mode' | 'verifier' | 'logger'> & {
  readonly options: ResolvedScatterOptions;
  readonly log: Logger;
  /** The ACK intake's frames received by `before` and still being verified (AckIntake.backlog); null: none. */
  readonly ackBacklog?: (before: number) => Promise<void> | null;
  /** The lead's lag from choosing T to its first send, learned across operations (send-lag.ts). */
  readonly sendLag?: SendLag;
};

interface Running {
  readonly plan: Plan;
  readonly collector: AckCollector;
  /** Null for an operation resumed after a restart: nothing more is sent. */
  readonly dispatcher: Dispatcher | null;
  readonly startedAt: number;
  readonly deadline: number;
  readonly interrupted: Interruption | null;
  /** Taken over after a failover with its deadline already past beyond the resume grace. */
  readonly expired: boolean;
  deadlineTimer: TimerHandle | null;
  /** When the counted ACKs reached the intake and waited there (logged with the decision). */
  readonly ackTiming: AckTiming;
}

export class OperationRun {
  readonly result: Promise<ScatterResult>;
  private resolve: (result: ScatterResult) => void = () => undefined;
  private running: Running | null = null;
  private final: ScatterResult | null = null;
  private readonly lateAcks = new Map<string, LateAck>();
  private lateSave: { readonly timer: TimerHandle; readonly done: Promise<void> } | null = null;
  /** Replies held until the decision (replyGate); opened at the decision or when the hold runs out. */
  private gate: { readonly promise: Promise<void>; readonly open: () => void; timer: TimerHandle; opensAt: number; held: number; opened?: boolean } | null = null;
  /**
   * Decided before the result is closed: the answers made PROCEED certain (AckCollector.proceedCertain)
   * before everyone answered and before the deadline. The operation goes on counting ACKs
   * until then, as in time: none of them can change the decision, and an agent that answers
   * by the deadline is not a straggler.
   */
  private decided: { readonly at: number } | null = null;
  /** Set when the deadline passed with ACKs received before it still being verified: the decision waits for them. */
  private draining: { readonly since: number; counted: number } | null = null;

  constructor(
    private readonly deps: RunDeps,
    readonly op: ResolvedOperation,
    private readonly meta: { readonly submittedAt: number; readonly waived: readonly Refusal[] },
  ) {
    this.result = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  get operationId(): string {
    return this.op.operationId;
  }

  get completed(): boolean {
    return this.final !== null;
  }

  /**
   * What an ACK's reply waits for before it is signed and sent: the decision, or the latest
   * moment at which every reply held so far can still be signed in turn and reach its agent
   * within `replyHoldMs` of its ACK's arrival (`arrivedAt`, lead clock); null: answer now. The
   * quorum needs the ACKs counted, not answered: a signed REPLY costs the lead a signature and
   * the agent a verification, and at T thousands of them would take the CPU the ACKs still
   * being verified need. The agent waits seconds for its reply (pi-daemon ackTimeoutMs).
   *
   * Held replies go out in the order they were held, each after the signing of those before it
   * (`signCostMsPerFrame` apiece): the n-th held reply is late for its agent unless the gate
   * opens by its arrival + replyHoldMs - n x signing. The gate opens at the earliest such
   * instant over the replies held (one timer per operation, moved earlier when a reply needs it),
   * so a fleet whose ACKs come in over a second keeps its replies until the decision, and one
   * whose ACKs all come at once still answers everyone in time.
   */
  replyGate(arrivedAt?: number): Promise<void> | null {
    const holdMs = this.deps.options.replyHoldMs;
    if (this.final !== null || this.decided !== null || this.running === null || holdMs <= 0) return null;
    const opensBy = (arrivedAt ?? this.deps.clock.now()) + holdMs - (this.gate?.held ?? 0) * this.deps.options.signCostMsPerFrame;
    if (this.gate === null) {
      let open: () => void = () => undefined;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      this.gate = { promise, open, timer: this.armGate(opensBy), opensAt: opensBy, held: 1 };
      return promise;
    }
    const gate = this.gate;
    if (gate.opened === true) return null;
    gate.held += 1;
    if (opensBy < gate.opensAt) {
      gate.timer.cancel();
      gate.timer = this.armGate(opensBy);
      gate.opensAt = opensBy;
    }
    return gate.promise;
  }

  private armGate(at: number): TimerHandle {
    return this.deps.scheduler.at(Math.max(at, this.deps.clock.now()), () => this.openGate(), 'reply-hold');
  }

  private openGate(): void {
    const gate = this.gate;
    if (gate === null || gate.opened) return;
    gate.opened = true;
    gate.timer.cancel();
    gate.open();
  }

  /** Plans and arms the operation, synchronously; a refusal means nothing was sent. */
  start(hash: string): { ok: true } | { ok: false; error: ScatterRefusal } {
    const { deps, op } = this;
    const startedAt = deps.clock.now();
    const sendLag = deps.sendLag;
    const planned = planOperation(op, startedAt, sendLag === undefined ? deps : { ...deps, sendLagMs: (agents) => sendLag.estimateMs(agents) });
    if (!planned.ok) return planned;
    const plan = planned.value;
    const plannedAt = deps.clock.now();
    const collector = new AckCollector(plan.planned, plan.selected, plan.targetMs, op.arrivalWindowMs, deps.options.arrivalBasis);
    const ctx = { op, leadId: deps.identity.leadId, targetMs: plan.targetMs, payloadHash: hash };
    let armedAt = startedAt;
    let lagSeen = false;
    const dispatcher = new Dispatcher(deps, plan, ctx, {
      sent: (agentId, coordinateId, at) => {
        collector.markSent(agentId, coordinateId, at);
        if (lagSeen) return;
        lagSeen = true;
        // Ready to send at armedAt; a first send due later than that says nothing more about the lead's own lag.
        const lateMs = Math.max(0, at - Math.max(firstSendDue(plan), armedAt));
        sendLag?.observe(plan.planned.length, armedAt - startedAt + lateMs);
      },
      failed: (agentId, error) => collector.markFailed(agentId, String(error), plan.targetMs - plan.nowMs),
      done: () => {
        collector.markSendingDone();
        if (collector.complete) this.finish();
        else this.decideIfCertain();
      },
    });
    const deadline = deadlineOf(plan, op, startedAt, deps.options);
    const running: Running = { plan, collector, dispatcher, startedAt, deadline, interrupted: null, expired: false, deadlineTimer: null, ackTiming: new AckTiming(plan.targetMs) };
    this.running = running;
    this.save();
    this.journal((j) => j.begun({ operationId: op.operationId, op, plan, submittedAt: this.meta.submittedAt, startedAt, deadline, waived: this.meta.waived }));
    deps.log.info(
      {
        event: SCATTER_EVENTS.started,
        target_time: plan.targetMs,
        lead_ms: plan.targetMs - startedAt,
        // The plan, and the record and journal written before the first send is armed: T counts from startedAt.
        plan_ms: plannedAt - startedAt,
        prepared_ms: deps.clock.now() - startedAt,
        deadline_ms: deadline - startedAt,
        mode: op.releaseMode,
        selected: plan.selected.length,
        scheduled: plan.planned.length,
        skipped: plan.skipped.length,
        buckets: plan.buckets.length,
        hold_messages: plan.hold?.selectors.length ?? 0,
        unheard: plan.hold?.unheard ?? 0,
      },
      'operation started',
    );
    running.deadlineTimer = deps.scheduler.at(deadline, () => this.deadlineReached(), 'deadline');
    armedAt = deps.clock.now();
    dispatcher.start();
    return { ok: true };
  }

  /**
   * Goes on with an operation the lead was running when it stopped (see RunJournal): its ACKs
   * so far counted again, nothing more sent, and ACKs taken until the later of its deadline and
   * now + resumeGraceMs (agents redeliver theirs from their outboxes once the lead is back).
   * Resumed by another lead after a failover, one whose deadline passed more than the grace ago
   * is decided at once, FAILED_OVER: the agents' redelivery window is over.
   */
  resume(stored: ResumableRun): void {
    const { deps } = this;
    const resumedAt = deps.clock.now();
    const by = stored.resumedBy ?? 'lead_restart';
    const collector = new AckCollector(stored.plan.planned, stored.plan.selected, stored.plan.targetMs, this.op.arrivalWindowMs, deps.options.arrivalBasis);
    collector.resume(stored.arrivals);
    const expired = by === 'failover' && resumedAt > stored.deadline + deps.options.resumeGraceMs;
    const deadline = expired ? resumedAt : Math.max(stored.deadline, resumedAt + deps.options.resumeGraceMs);
    const interrupted: Interruption = { by, resumedAt, originalDeadline: stored.deadline };
    const running: Running = { plan: stored.plan, collector, dispatcher: null, startedAt: stored.startedAt, deadline, interrupted, expired, deadlineTimer: null, ackTiming: new AckTiming(stored.plan.targetMs) };
    this.running = running;
    deps.log.warn(
      { event: SCATTER_EVENTS.resumed, by, acks: stored.arrivals.length, sent: collector.sentCount, original_deadline: stored.deadline, deadline, expired },
      by === 'failover' ? 'operation resumed after a failover' : 'operation resumed after a lead restart',
    );
    if (expired) {
      this.finish();
      return;
    }
    if (collector.complete) {
      this.finish();
      return;
    }
    running.deadlineTimer = deps.scheduler.at(deadline, () => this.deadlineReached(), 'deadline');
  }

  /**
   * Takes one verified ACK of this operation; a counted one is answered once it is stored.
   * `arrivedAt`: when its frame reached the lead's ACK intake (before verification).
   */
  accept(verified: Verified<Ack>, arrivedAt?: number): AckReply | Promise<AckReply> {
    const running = this.running;
    if (running === null) return { ok: false, code: 'UNKNOWN_OPERATION', message: `operation ${this.operationId} has not started` };
    const receivedAt = this.deps.clock.now();
    const verdict = running.collector.accept(verified, receivedAt);
    const arrival = verdict.arrival;
    if (arrival === null) {
      // A redelivery of a counted ACK whose first storing failed (answered STORE_FAILED): answered once stored now.
      const again = verdict.reply.ok ? this.deps.journal?.redelivered?.(this.operationId, verified.message.agent_id) : undefined;
      if (again === undefined) return verdict.reply;
      return again.then(
        () => verdict.reply,
        (error: unknown) => {
          this.deps.log.error({ err: error, agent_id: verified.message.agent_id }, 'could not store a redelivered ack');
          return { ok: false, code: 'STORE_FAILED', message: 'the lead could not store the ack; send it again' };
        },
      );
    }
    if (this.final !== null) {
      // Answered once the history has it (the agent then drops it from its outbox).
      const saved = this.recordLate(arrival.agentId, { agentId: arrival.agentId, receivedAt, trinaryState: arrival.trinaryState, readyAtMesh: arrival.readyAtMesh });
      return saved.then(() => verdict.reply);
    }
    if (this.draining !== null) this.draining.counted += 1;
    running.ackTiming.counted(arrivedAt ?? receivedAt, receivedAt);
    this.recordAnswer(arrival, verified);
    const stored = this.deps.journal?.acked(this.operationId, arrival);
    if (running.collector.complete) this.finish();
    else this.decideIfCertain();
    if (stored === undefined) return verdict.reply;
    // Answered only once durable: an agent drops an answered ACK from its outbox.
    return stored.then(
      () => verdict.reply,
      (error: unknown) => {
        this.deps.log.error({ err: error, agent_id: arrival.agentId }, 'could not store an ack');
        return { ok: false, code: 'STORE_FAILED', message: 'the lead could not store the ack; send it again' };
      },
    );
  }

  /** What one counted ACK means for its agent: its outcome, and a conflict report. */
  private recordAnswer(arrival: AgentArrival, verified: Verified<Ack>): void {
    this.deps.outcomes.recordOutcome(arrival.agentId, arrival.outcome, arrival.processingMs, this.op.verb, { operationId: this.operationId, ...(verified.message.cache_hit === true ? { cacheHit: true } : {}) });
    if (arrival.trinaryState === -1) {
      this.deps.conflicts?.recordAckConflict(verified.message, verified.body);
      this.deps.log.warn({ event: SCATTER_EVENTS.ackConflict, agent_id: arrival.agentId }, 'agent reported a conflict');
    }
  }

  /**
   * Decides as soon as PROCEED is certain: the decision is logged (operation.decided) and the
   * held replies go; the result is closed later, at the deadline or once everyone answered,
   * with every ACK that came by then. Not for an operation resumed after a restart.
   */
  private decideIfCertain(): void {
    const running = this.running;
    if (running === null || this.final !== null || this.decided !== null || running.interrupted !== null) return;
    if (!running.collector.proceedCertain(this.thresholds())) return;
    const at = this.deps.clock.now();
    this.decided = { at };
    this.openGate();
    this.deps.log.info(
      { event: SCATTER_EVENTS.decided, decision: 'PROCEED', decision_after_t_ms: at - running.plan.targetMs, answered: running.collector.allArrivals().length, sent: running.collector.sentCount, deadline_after_t_ms: running.deadline - running.plan.targetMs },
      'operation decided',
    );
  }

  private thresholds(): QuorumThresholds {
    return { requiredReadyRate: this.op.minResponseRate, maxConflictRate: this.op.maxConflictRate, maxTransitRate: this.op.maxTransitRate };
  }

  /**
   * The deadline: decides now, unless ACKs that reached the lead by now are still being verified.
   * Those arrived in time; the decision waits until they are counted (at most
   * `ackBacklogMaxMs`), so a busy lead's own queue does not turn them into late ACKs.
   */
  private deadlineReached(): void {
    if (this.running === null || this.final !== null) return;
    const now = this.deps.clock.now();
    const backlog = this.deps.ackBacklog?.(now) ?? null;
    if (backlog === null) {
      this.finish();
      return;
    }
    this.draining = { since: now, counted: 0 };
    const cap = this.deps.scheduler.at(now + this.deps.options.ackBacklogMaxMs, () => this.finish(), 'ack-backlog');
    void backlog.then(() => {
      cap.cancel();
      this.finish();
    });
  }

  /** Decides now (deadline, everyone answered, or the engine is stopping). Idempotent. */
  finish(): void {
    const running = this.running;
    if (running === null || this.final !== null) return;
    running.deadlineTimer?.cancel();
    running.dispatcher?.cancel();
    const closedAt = this.deps.clock.now();
    const decidedAt = this.decided?.at ?? closedAt;
    const result = buildResult({
      op: this.op,
      plan: running.plan,
      collector: running.collector,
      basis: this.deps.options.arrivalBasis,
      timings: { submittedAt: this.meta.submittedAt, startedAt: running.startedAt, deadline: running.deadline, decidedAt, ...(this.decided === null ? {} : { closedAt }) },
      waived: this.meta.waived,
      ...(running.interrupted === null ? {} : { interrupted: withFailover(running) }),
    });
    this.final = result;
    this.openGate();
    // After a restart it is not known who was sent the operation: silence is not held against anyone.
    if (running.interrupted === null) {
      for (const agentId of result.stragglers) this.deps.outcomes.recordOutcome(agentId, 'no_ack', null, this.op.verb, { sentAt: running.startedAt, operationId: this.operationId });
    }
    // The history row and the journal's end are one write where the journal can: a crash
    // between them would resume an operation that is already decided.
    let saved = false;
    this.journal((j) =>
      j.ended(this.operationId, () => {
        saved = true;
        this.save();
      }),
    );
    if (!saved) this.save();
    this.deps.log.info(
      {
        event: SCATTER_EVENTS.completed,
        status: result.status,
        decision: result.decision,
        ...result.counts,
        arrival_abs_p50_ms: result.arrival.abs?.p50 ?? null,
        arrival_abs_p99_ms: result.arrival.abs?.p99 ?? null,
        arrival_abs_max_ms: result.arrival.abs?.max ?? null,
        hit_rate: result.arrival.hitRate,
        decision_after_t_ms: decidedAt - running.plan.targetMs,
        ...(this.decided === null ? {} : { closed_after_t_ms: closedAt - running.plan.targetMs }),
        hold_sent_after_start_ms: firstHoldSend(running) ?? null,
        acks: running.ackTiming.summary(running.deadline),
        interrupted: running.interrupted !== null,
        // ACKs that reached the lead by the deadline and were counted while it waited for their verification.
        ...(this.draining === null ? {} : { counted_after_deadline: this.draining.counted, deadline_wait_ms: closedAt - this.draining.since }),
      },
      'operation completed',
    );
    this.resolve(result);
  }

  record(): OperationRecord | null {
    const running = this.running;
    if (running === null) return null;
    return {
      operationId: this.operationId,
      state: this.final === null ? 'running' : 'completed',
      request: this.op,
      targetTime: running.plan.targetMs,
      targetSetBy: running.plan.targetSetBy,
      plan: running.plan.planned,
      skipped: running.plan.skipped,
      holdMessages: running.dispatcher?.holdMessages ?? [],
      result: this.final,
      lateAcks: [...this.lateAcks.values()],
    };
  }

  /** Resolves once the late ACK is in the history (the next batched save of the record). */
  private recordLate(agentId: string, late: LateAck): Promise<void> {
    this.lateAcks.set(agentId, late);
    this.deps.log.info({ event: SCATTER_EVENTS.ackLate, agent_id: agentId, ms_after_decision: late.receivedAt - (this.final?.timings.closedAt ?? this.final?.timings.decidedAt ?? 0) }, 'late ack');
    if (this.lateSave === null) {
      let saved: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        saved = resolve;
      });
      const timer = this.deps.scheduler.at(
        late.receivedAt + LATE_ACK_SAVE_DELAY_MS,
        () => {
          this.lateSave = null;
          this.save();
          saved();
        },
        'history',
      );
      this.lateSave = { timer, done };
    }
    return this.lateSave.done;
  }

  private journal(write: (journal: NonNullable<RunDeps['journal']>) => void): void {
    const journal = this.deps.journal;
    if (journal === undefined) return;
    try {
      write(journal);
    } catch (error) {
      // Only resuming after a crash needs it; the operation goes on.
      this.deps.log.error({ err: error }, 'running-operations journal failed');
    }
  }

  private save(): void {
    const record = this.record();
    if (record === null) return;
    try {
      this.deps.store.save(record);
    } catch (error) {
      // The history is for operators; a failing store must not stop the operation.
      this.deps.log.error({ err: error }, 'operations store failed');
    }
  }
}

/**
 * How much later than T a lead-mode agent may become ready and still be waited for, as a share
 * of its median processing: lead mode aims at the median with no buffer, so half its agents
 * finish after T, and twice the median covers all but the rarest draws (and spikes).
 */
const LEAD_LATE_SHARE = 1;

/** T + window + the slowest return trip (and, in lead mode, late processing) + slack, but never after the timeout. */
function deadlineOf(plan: Plan, op: ResolvedOperation, startedAt: number, options: ResolvedScatterOptions): number {
  let returnMs = 0;
  for (const p of plan.planned) {
    const lateMs = p.mode === 'lead' ? Math.max(p.bufferMs, p.expectedProcessingMs * LEAD_LATE_SHARE) : p.bufferMs;
    returnMs = Math.max(returnMs, p.oneWayDelayMs + lateMs);
  }
  return Math.min(startedAt + op.timeoutMs, plan.targetMs + op.arrivalWindowMs + returnMs + options.ackReturnSlackMs);
}


/** When the plan's first send is due (the hold group's or the first bucket's). */
function firstSendDue(plan: Plan): number {
  let due = plan.hold?.sendAt ?? Infinity;
  for (const bucket of plan.buckets) due = Math.min(due, bucket.sendAt);
  return Number.isFinite(due) ? due : plan.nowMs;
}

/** Lead clock from the operation's start to its first hold-group COORDINATE leaving (undefined: none sent). */
function firstHoldSend(running: Running): number | undefined {
  const first = running.dispatcher?.holdMessages[0];
  return first === undefined ? undefined : first.sendAt - running.startedAt;
}

/**
 * The interruption as the result reports it: after a failover, an operation that did not get
 * every ACK is FAILED_OVER when it was taken over too late or when no ACK reached either lead
 * (nothing says it reached anyone: never a success).
 */
function withFailover(running: Running): Interruption {
  const interrupted = running.interrupted!;
  if (interrupted.by !== 'failover' || running.collector.complete) return interrupted;
  const reason: FailedOverReason | null = running.expired ? 'deadline_passed' : running.collector.allArrivals().length === 0 ? 'no_ack' : null;
  return reason === null ? interrupted : { ...interrupted, failedOver: reason };
}
