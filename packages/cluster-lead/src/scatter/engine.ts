/**
 * The scatter-gather engine of a lead: admission (degradation gate, bounded in-flight, a
 * priority queue with aging), the operations it runs, and the ACK intake that feeds them.
 */
import { admitOperation, newMessageId, payloadHash, restrictionsFor } from '@mesh30k/shared';
import type { IncomingFrame, Refusal } from '@mesh30k/shared';
import { AckIntake } from './ack-intake.js';
import type { AckIntakeStats } from './ack-intake.js';
import { AdmissionQueue } from './admission-queue.js';
import type { ScatterRefusal } from './errors.js';
import { SCATTER_EVENTS } from './events.js';
import { parseOperation } from './operation-request.js';
import type { ResolvedOperation } from './operation-request.js';
import { OperationRun } from './operation-run.js';
import type { RunDeps } from './operation-run.js';
import { resolveScatterOptions } from './options.js';
import { SendLag } from './send-lag.js';
import type { ResolvedScatterOptions, ScatterOptionsInput } from './options.js';
import type { AckReply, ResumableRun, ScatterDeps, TimerHandle, Unsubscribe } from './ports.js';
import type { ScatterResult } from './record.js';

export type OperationOutcome =
  | { readonly status: 'completed'; readonly result: ScatterResult }
  | { readonly status: 'refused'; readonly refusal: ScatterRefusal };

export interface SubmitHandle {
  /** Null when the request was refused before it had an id. */
  readonly operationId: string | null;
  readonly admission: 'started' | 'queued' | 'refused';
  /** Settles when the operation is decided or refused; never rejects. */
  readonly outcome: Promise<OperationOutcome>;
}

export interface EngineStats {
  readonly inFlight: number;
  readonly queued: number;
  readonly acks: AckIntakeStats;
}

type Gate = { kind: 'run'; waived: readonly Refusal[] } | { kind: 'queue' | 'refuse'; refusal: ScatterRefusal };

interface Pending {
  readonly op: ResolvedOperation;
  readonly payloadHash: string;
  readonly submittedAt: number;
  readonly settle: (outcome: OperationOutcome) => void;
  timer: TimerHandle | null;
}

export class ScatterEngine {
  readonly options: ResolvedScatterOptions;
  private readonly queue: AdmissionQueue<Pending>;
  private readonly active = new Map<string, OperationRun>();
  /** Completed runs, oldest first, kept for late ACKs. */
  private readonly recent = new Map<string, OperationRun>();
  private readonly intake: AckIntake;
  /** The lead's own lag from choosing T to the first send, learned across its operations. */
  private readonly sendLag: SendLag;
  private inFlight = 0;
  private subscription: Unsubscribe | null = null;
  private stopped = false;

  constructor(
    private readonly deps: ScatterDeps,
    options: ScatterOptionsInput = {},
  ) {
    this.options = resolveScatterOptions(options);
    this.queue = new AdmissionQueue(this.options.maxQueued, this.options.agingStepMs);
    this.sendLag = new SendLag(this.options.sendLagPerAgentMs);
    this.intake = new AckIntake({
      verifier: deps.verifier,
      log: deps.logger,
      now: () => deps.clock.now(),
      find: (id) => this.active.get(id) ?? this.recent.get(id),
      ...(deps.store.has === undefined ? {} : { inHistory: (id: string) => deps.store.has?.(id) === true }),
    });
  }

  /** Resumes what the journal says was running when the lead stopped, then subscribes to ACKs. */
  start(): void {
    if (this.subscription === null && !this.stopped) this.resumeJournaled();
    this.subscription ??= this.deps.transport.subscribeAcks((frame) => this.handleAck(frame));
  }

  /** Refuses what is queued, decides what is running now, and stops taking ACKs. */
  stop(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
    this.subscription = null;
    for (const pending of this.queue.drain()) this.refuse(pending, { code: 'ENGINE_STOPPED', reason: 'the engine stopped before the operation started' });
    for (const run of this.active.values()) run.finish();
  }

  handleAck(frame: IncomingFrame): Promise<AckReply> {
    return this.intake.handle(frame);
  }

  /** Re-checks queued operations, e.g. after the degradation mode changed. */
  modeChanged(): void {
    this.pump();
  }

  stats(): EngineStats {
    return { inFlight: this.inFlight, queued: this.queue.size, acks: this.intake.stats() };
  }

  async submit(raw: unknown): Promise<SubmitHandle> {
    const now = this.deps.clock.now();
    if (this.stopped) return refusedHandle(null, { code: 'ENGINE_STOPPED', reason: 'the engine is stopped' });
    const parsed = parseOperation(raw, () => `op-${newMessageId(now)}`);
    if (!parsed.ok) return this.refuseEarly(null, parsed.error);
    const op = parsed.value;
    const hash = await payloadHash(op.payload);
    if (this.stopped) return refusedHandle(op.operationId, { code: 'ENGINE_STOPPED', reason: 'the engine is stopped' });
    if (this.known(op.operationId)) {
      return this.refuseEarly(op.operationId, { code: 'INVALID_OPERATION', reason: `operation ${op.operationId} already exists`, path: 'operationId' });
    }
    let settle: (outcome: OperationOutcome) => void = () => undefined;
    const outcome = new Promise<OperationOutcome>((resolve) => {
      settle = resolve;
    });
    const pending: Pending = { op, payloadHash: hash, submittedAt: now, settle, timer: null };
    const gate = this.gate(op);
    if (gate.kind === 'refuse') {
      this.refuse(pending, gate.refusal);
      return { operationId: op.operationId, admission: 'refused', outcome };
    }
    if (gate.kind === 'run' && this.inFlight < this.options.maxInFlight && this.queue.size === 0) {
      const started = this.launch(pending, gate.waived);
      return { operationId: op.operationId, admission: started ? 'started' : 'refused', outcome };
    }
    const queuedAt = this.deps.clock.now();
    if (!this.queue.offer(pending, op.priority, queuedAt)) {
      const reason = `${this.inFlight} operations in flight and ${this.queue.size} queued (limits ${this.options.maxInFlight} and ${this.options.maxQueued})`;
      this.refuse(pending, { code: 'SATURATED', reason });
      return { operationId: op.operationId, admission: 'refused', outcome };
    }
    pending.timer = this.deps.scheduler.at(queuedAt + this.options.maxQueueWaitMs, () => this.queueTimeout(pending), 'queue-timeout');
    this.deps.logger.info(
      { event: SCATTER_EVENTS.queued, operation_id: op.operationId, priority: op.priority, queued: this.queue.size, held_by: gate.kind === 'queue' ? gate.refusal.code : null },
      'operation queued',
    );
    this.pump();
    // A slot may have been free for it (it queued behind operations the mode holds back).
    return { operationId: op.operationId, admission: this.active.has(op.operationId) ? 'started' : 'queued', outcome };
  }

  private known(operationId: string): boolean {
    return this.active.has(operationId) || this.recent.has(operationId) || this.queue.some((p) => p.op.operationId === operationId);
  }

  private gate(op: ResolvedOperation): Gate {
    const targetCount = new Set(this.deps.targets.select(op.targets).map((a) => a.agentId)).size;
    const admission = admitOperation(restrictionsFor(this.deps.mode.mode()), {
      targetCount,
      meshWide: op.targets.all === true,
      automated: op.automated,
      priority: op.priority,
      operatorOverride: op.operatorOverride,
    });
    if (admission.allowed) return { kind: 'run', waived: admission.waived };
    return { kind: admission.disposition, refusal: { code: admission.code, reason: admission.reason } };
  }

  /** Operations in flight when the lead last stopped: each goes on until its (extended) deadline. */
  private resumeJournaled(): void {
    const journal = this.deps.journal;
    if (journal === undefined) return;
    let stored: readonly ResumableRun[];
    try {
      stored = journal.load();
    } catch (error) {
      this.deps.logger.error({ err: error }, 'could not read the operations in flight before the restart');
      return;
    }
    for (const run of stored) {
      if (this.known(run.operationId)) continue;
      const log = this.deps.logger.child({ operation_id: run.operationId });
      const resumed = new OperationRun({ ...this.deps, options: this.options, log, ackBacklog: (before) => this.intake.backlog(before) }, run.op, { submittedAt: run.submittedAt, waived: run.waived });
      this.inFlight += 1;
      this.active.set(run.operationId, resumed);
      void resumed.result.then((result) => this.completed(resumed, null, result));
      resumed.resume(run);
    }
  }

  /** Starts a run, synchronously; false when planning refused it. Never throws. */
  private launch(pending: Pending, waived: readonly Refusal[]): boolean {
    const { op } = pending;
    const log = this.deps.logger.child({ operation_id: op.operationId });
    const runDeps: RunDeps = { ...this.deps, options: this.options, log, ackBacklog: (before) => this.intake.backlog(before), sendLag: this.sendLag };
    const run = new OperationRun(runDeps, op, { submittedAt: pending.submittedAt, waived });
    this.inFlight += 1;
    this.active.set(op.operationId, run);
    let started: ReturnType<OperationRun['start']>;
    try {
      started = run.start(pending.payloadHash);
    } catch (error) {
      log.error({ err: error }, 'operation failed to start');
      started = { ok: false, error: { code: 'INVALID_OPERATION', reason: `could not plan: ${String(error)}` } };
    }
    if (!started.ok) {
      this.active.delete(op.operationId);
      this.inFlight -= 1;
      this.refuse(pending, started.error);
      this.pump();
      return false;
    }
    void run.result.then((result) => this.completed(run, pending, result));
    return true;
  }

  private completed(run: OperationRun, pending: Pending | null, result: ScatterResult): void {
    this.active.delete(run.operationId);
    this.inFlight -= 1;
    this.recent.set(run.operationId, run);
    for (const id of this.recent.keys()) {
      if (this.recent.size <= this.options.recentOperations) break;
      this.recent.delete(id);
    }
    pending?.settle({ status: 'completed', result });
    this.pump();
  }

  /** Starts queued operations while there are slots, best effective priority first. */
  private pump(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    for (const entry of this.queue.ordered(now)) {
      if (this.inFlight >= this.options.maxInFlight) return;
      const pending = entry.item;
      const gate = this.gate(pending.op);
      switch (gate.kind) {
        case 'queue':
          continue;
        case 'refuse':
          this.queue.remove(pending);
          pending.timer?.cancel();
          this.refuse(pending, gate.refusal);
          continue;
        case 'run':
          this.queue.remove(pending);
          pending.timer?.cancel();
          this.launch(pending, gate.waived);
          continue;
      }
    }
  }

  private queueTimeout(pending: Pending): void {
    if (!this.queue.remove(pending)) return;
    const waited = this.deps.clock.now() - pending.submittedAt;
    this.refuse(pending, { code: 'QUEUE_TIMEOUT', reason: `waited ${waited.toFixed(0)} ms for a slot (limit ${this.options.maxQueueWaitMs} ms)` });
  }

  private refuse(pending: Pending, refusal: ScatterRefusal): void {
    this.deps.logger.warn({ event: SCATTER_EVENTS.refused, operation_id: pending.op.operationId, code: refusal.code, reason: refusal.reason }, 'operation refused');
    pending.settle({ status: 'refused', refusal });
  }

  private refuseEarly(operationId: string | null, refusal: ScatterRefusal): SubmitHandle {
    this.deps.logger.warn({ event: SCATTER_EVENTS.refused, operation_id: operationId, code: refusal.code, reason: refusal.reason }, 'operation refused');
    return refusedHandle(operationId, refusal);
  }
}

function refusedHandle(operationId: string | null, refusal: ScatterRefusal): SubmitHandle {
  return { operationId, admission: 'refused', outcome: Promise.resolve({ status: 'refused', refusal }) };
}
