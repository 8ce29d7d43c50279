import { performance } from 'node:perf_hooks';
import { RollingSamples, isTransitRefusal } from '@mesh30k/shared';
import type { ImpedanceProfiler, ProcessingStats, ReplayGuard, TransitRefusalCode, WireRefusal } from '@mesh30k/shared';
import type { AgentContext } from '../agent/context.js';
import { countCode } from '../agent/counters.js';
import { LogEvent } from '../logging/events.js';
import type { PreciseTimer } from '../clock/precise-timer.js';
import type { BusMessage } from '../nats/bus.js';
import type { InboxDelivery } from '../nats/inbox.js';
import type { AckSender } from './ack-sender.js';
import type { ContextHash } from './context-hash.js';
import type { FreezeState } from './freeze.js';
import type { HandlerRegistry } from './handlers.js';
import { IdleWaiters } from './idle-waiters.js';
import { decideIntake, refuseUnrunnable, type DeclineCode } from './intake.js';
import { NonReadyAcks } from './non-ready-acks.js';
import { PriorityWorkQueue } from './priority-queue.js';
import type { ReadyEvent } from './ready-event.js';
import { ReleasePath } from './release-path.js';
import { runHandler } from './run-handler.js';
import { readUnrunnable } from './unrunnable.js';
import { newWorkItem, type WorkItem } from './work-item.js';

/** Processing times kept for the PONG's p50/p95. */
const STATS_SAMPLES = 64;

export interface EngineDeps {
  ctx: AgentContext;
  replay: ReplayGuard;
  freeze: FreezeState;
  context: ContextHash;
  handlers: HandlerRegistry;
  sender: AckSender;
  releases: PreciseTimer;
  profiler: ImpedanceProfiler;
  /** How late a release may be and still send the READY signed before T (PREBUILT_LATE_LIMIT_MS). */
  prebuiltLateLimitMs?: number;
  /** Told of every READY release after its ACK is sent (simulation's arrival tap); optional. */
  onReady?: (event: ReadyEvent) => void;
}

/**
 * From a verified COORDINATE to its ACK: intake checks, a bounded priority queue, the verb's
 * handler, then the release (release-path.ts) or a TRANSIT / CONFLICT (non-ready-acks.ts).
 */
export class CoordinationEngine {
  private readonly queue: PriorityWorkQueue<WorkItem>;
  private readonly active = new Set<WorkItem>();
  private readonly samples = new RollingSamples(STATS_SAMPLES);
  private readonly acks: NonReadyAcks;
  private readonly releasePath: ReleasePath;
  private readonly idleWaiters = new IdleWaiters();
  private running = 0;
  private requests = 0;
  private closing = false;
  private readonly abort = new AbortController();

  constructor(private readonly deps: EngineDeps) {
    this.queue = new PriorityWorkQueue(deps.ctx.tuning.queueCapacity, deps.ctx.tuning.agingMs);
    this.acks = new NonReadyAcks(deps);
    this.releasePath = new ReleasePath({
      ctx: deps.ctx,
      sender: deps.sender,
      releases: deps.releases,
      profiler: deps.profiler,
      acks: this.acks,
      finish: (item) => this.finish(item),
      ...(deps.prebuiltLateLimitMs === undefined ? {} : { prebuiltLateLimitMs: deps.prebuiltLateLimitMs }),
      ...(deps.onReady === undefined ? {} : { onReady: deps.onReady }),
    });
  }

  get queueDepth(): number {
    return this.queue.size + this.running;
  }

  get heldCount(): number {
    let held = 0;
    for (const item of this.active) if (item.state === 'held') held++;
    return held;
  }

  stats(): ProcessingStats {
    const [p50, p95] = this.samples.percentiles([50, 95]);
    return { requests: this.requests, processing_p50_ms: p50 ?? null, processing_p95_ms: p95 ?? null, queue_depth: this.queueDepth };
  }

  onCoordinate(delivery: InboxDelivery): void {
    const { ctx } = this.deps;
    const { message, signerId } = delivery.verified;
    if (message.kind !== 'COORDINATE') return;
    const receivedAtLocal = ctx.clock.localNow() - (performance.now() - delivery.message.arrivedAt);
    const ids = { operation: message.operation_id, message: message.message_id, verb: message.verb };
    const decision = decideIntake(message, {
      identity: ctx.identity,
      tuning: ctx.tuning,
      replay: this.deps.replay,
      meshNow: ctx.clock.meshNow(),
      signerId,
      frozen: this.deps.freeze.frozen,
      closing: this.closing,
      leaseFence: ctx.leaseFence,
    });
    switch (decision.kind) {
      case 'ignore':
        ctx.counters.coordinatesIgnored++;
        return;
      case 'refuse':
        countCode(ctx.counters.refusedByCode, decision.code);
        ctx.log.warn({ event: LogEvent.COORDINATE_REFUSED, ...ids, code: decision.code }, `COORDINATE refused: ${decision.message}`);
        return;
      case 'decline':
        this.acks.decline(message, receivedAtLocal, decision.code, decision.message);
        return;
      case 'conflict':
        this.acks.conflict(message, receivedAtLocal, 0, decision.conflict);
        return;
      case 'accept':
        break;
    }
    this.requests++;
    const item = newWorkItem(message, receivedAtLocal);
    if (!this.queue.offer(item, message.priority, performance.now())) {
      this.acks.decline(message, receivedAtLocal, 'QUEUE_FULL', `queue full (${this.queue.capacity} waiting)`);
      return;
    }
    ctx.counters.coordinatesAccepted++;
    ctx.log.info({ event: LogEvent.COORDINATE_RECEIVED, ...ids, mode: message.release_mode, target: message.target_time }, 'COORDINATE accepted');
    this.pump();
  }

  /**
   * A frame the inbox refused on a COORDINATE subject: if the lead signed it and it is for
   * this agent and fresh, it is work the agent cannot run, answered TRANSIT with the reason
   * (FRAME_REFUSED, VERB_UNSUPPORTED) rather than left to become a straggler.
   */
  async onRefusedFrame(message: BusMessage, refusal: WireRefusal): Promise<void> {
    const { ctx } = this.deps;
    const receivedAtLocal = ctx.clock.localNow() - (performance.now() - message.arrivedAt);
    const read = await readUnrunnable(message, refusal, { ed25519: ctx.ed25519, resolveKey: ctx.leadKeys, leadId: ctx.identity.leadId });
    if (read === null) return;
    const problem = refuseUnrunnable(read, { identity: ctx.identity, tuning: ctx.tuning, replay: this.deps.replay, meshNow: ctx.clock.meshNow(), leaseFence: ctx.leaseFence });
    if (problem === 'ignore') return;
    if (problem !== null) {
      countCode(ctx.counters.refusedByCode, problem.code);
      ctx.log.warn({ event: LogEvent.COORDINATE_REFUSED, operation: read.head.operation_id, message: read.head.message_id, code: problem.code }, `COORDINATE refused: ${problem.message}`);
      return;
    }
    this.acks.decline(read.head, receivedAtLocal, read.code, read.message);
  }

  /** FREEZE: queued work is handed back; running and held work completes. */
  handBackQueued(code: DeclineCode, reason: string): number {
    const queued = this.queue.drain();
    for (const item of queued) this.acks.decline(item.coordinate, item.receivedAtLocal, code, reason);
    return queued.length;
  }

  /**
   * Graceful stop: no new work, queued and held work handed back as TRANSIT, running handlers
   * given `graceMs` to finish (then handed back too). Resolves when every item is answered.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    this.handBackQueued('SHUTTING_DOWN', 'the agent is shutting down');
    for (const item of [...this.active]) if (item.state === 'held') this.handBack(item, 'SHUTTING_DOWN');
    if (this.running > 0) await this.idleWaiters.wait(graceMs);
    this.abort.abort();
    for (const item of [...this.active]) this.handBack(item, 'SHUTTING_DOWN');
  }

  /** Simulated crash: everything is dropped without a word. */
  abandon(): void {
    this.closing = true;
    this.queue.drain();
    for (const item of this.active) {
      item.release?.cancel();
      item.state = 'done';
    }
    this.active.clear();
    this.abort.abort();
  }

  private pump(): void {
    while (this.running < this.deps.ctx.tuning.concurrency && !this.closing) {
      const item = this.queue.take(performance.now());
      if (item === undefined) return;
      this.running++;
      item.state = 'running';
      this.active.add(item);
      void this.process(item);
    }
  }

  private async process(item: WorkItem): Promise<void> {
    const { ctx } = this.deps;
    const outcome = await runHandler(item, this.deps, this.abort.signal);
    const endLocal = ctx.clock.localNow();
    this.running--;
    this.pump();
    if (this.running === 0) this.idleWaiters.notify();
    if (item.state !== 'running') return; // handed back or abandoned meanwhile
    item.processingMs = Math.max(0, endLocal - item.receivedAtLocal);
    this.samples.add(item.processingMs);
    this.deps.profiler.recordProcessing(item.processingMs);
    switch (outcome.state) {
      case 'ready':
        item.result = outcome.result;
        item.cacheHit = outcome.cacheHit === true;
        item.atRelease = outcome.atRelease;
        if (item.coordinate.release_mode !== 'hold') this.releasePath.release(item, endLocal);
        else if (this.closing) this.handBack(item, 'SHUTTING_DOWN');
        else this.releasePath.hold(item, endLocal);
        return;
      case 'transit':
        this.finish(item);
        if (isTransitRefusal(outcome.code)) {
          // Work this agent cannot run (a verb it lacks, a payload the verb refuses): said as such, and no mark against itself.
          this.acks.decline(item.coordinate, item.receivedAtLocal, outcome.code as TransitRefusalCode, outcome.message, item.processingMs);
          return;
        }
        this.acks.decline(item.coordinate, item.receivedAtLocal, 'HANDLER_FAILED', `${outcome.code}: ${outcome.message}`, item.processingMs);
        this.deps.profiler.recordOutcome(false);
        return;
      case 'conflict':
        this.finish(item);
        this.acks.conflict(item.coordinate, item.receivedAtLocal, item.processingMs, outcome.conflict, outcome.result);
        return;
    }
  }

  private handBack(item: WorkItem, code: DeclineCode): void {
    if (item.state === 'done') return;
    item.release?.cancel();
    this.finish(item);
    this.deps.ctx.counters.handedBack++;
    this.deps.ctx.log.info({ event: LogEvent.COORDINATE_HANDED_BACK, operation: item.coordinate.operation_id, code }, 'work handed back (TRANSIT)');
    this.acks.decline(item.coordinate, item.receivedAtLocal, code, 'work handed back before it was ready', item.processingMs);
  }

  private finish(item: WorkItem): void {
    item.state = 'done';
    this.active.delete(item);
  }
}
