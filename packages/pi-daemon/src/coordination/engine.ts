import { performance } from 'node:perf_hooks';
import { CONFLICT, READY, RollingSamples, TRANSIT, conflictPriority, isTransitRefusal } from '@mesh30k/shared';
import type { ConflictDetail, Coordinate, ImpedanceProfiler, ProcessingStats, ReplayGuard, TransitRefusalCode, WireRefusal } from '@mesh30k/shared';
import type { AgentContext } from '../agent/context.js';
import { countCode } from '../agent/counters.js';
import { LogEvent } from '../logging/events.js';
import type { PreciseTimer, ReleaseHandle, ReleaseInfo } from '../clock/precise-timer.js';
import type { BusMessage } from '../nats/bus.js';
import type { InboxDelivery } from '../nats/inbox.js';
import type { AckFacts, AckSender, AckSubject, PreparedAck } from './ack-sender.js';
import type { ContextHash } from './context-hash.js';
import type { FreezeState } from './freeze.js';
import type { HandlerContext, HandlerOutcome, HandlerRegistry } from './handlers.js';
import { decideIntake, refuseUnrunnable, type DeclineCode } from './intake.js';
import { PriorityWorkQueue } from './priority-queue.js';
import { readUnrunnable } from './unrunnable.js';

/** Processing times kept for the PONG's p50/p95. */
const STATS_SAMPLES = 64;
/**
 * A pre-built READY says the agent was ready at T (its deadline on the agent's clock). When the
 * release comes later than this past it, that would not be true to within the project's
 * precision, so the ACK is built again with the real instant (after the pass, never in it).
 */
export const PREBUILT_LATE_LIMIT_MS = 1;

interface WorkItem {
  coordinate: Coordinate;
  receivedAtLocal: number;
  state: 'queued' | 'running' | 'held' | 'done';
  processingMs: number;
  release: ReleaseHandle | undefined;
  result: unknown;
  cacheHit: boolean;
  /** The handler's work due at the release instant (hold mode). */
  atRelease: (() => Promise<void>) | undefined;
  /** Hold mode: T on the agent's clock, fixed when the release was scheduled. */
  deadlineLocal: number | undefined;
  /** Hold mode: the READY built and signed before T, sent at T. */
  prepared: PreparedAck | undefined;
  /** Hold mode: the release has started (its effect ran, or is running). */
  released: boolean;
}

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
 * One READY release: which operation, and the instant stamped on the agent's own clock. Given
 * as soon as the ACK was handed to the bus (inside the release pass in hold mode): a listener
 * must only take what it needs and defer the rest.
 */
export interface ReadyEvent {
  operationId: string;
  releaseMode: Coordinate['release_mode'];
  /** T as the COORDINATE gave it, in mesh time. */
  targetTime: number;
  readyAtLocal: number;
  /** When the handler's processing ended, on the agent's clock: after T in hold mode means T came too early. */
  finishedAtLocal: number;
  /** The ACK that carried it. */
  ackMessageId: string;
  /** Hold mode: T on the agent's clock as scheduled, and whether the ACK sent was the one signed before T. */
  hold?: { deadlineLocal: number; prebuilt: boolean; release: ReleaseInfo | undefined };
}

/**
 * From a verified COORDINATE to its ACK: intake checks, a bounded priority queue, the verb's
 * handler, and the release. `lead` and `none` are READY when processing ends; `hold` is READY
 * when the agent's clock reaches T converted to it, timed by the shared precise timer. In
 * `hold`, the READY is built and signed when processing ends and handed to the bus at T.
 */
export class CoordinationEngine {
  private readonly queue: PriorityWorkQueue<WorkItem>;
  private readonly active = new Set<WorkItem>();
  private readonly samples = new RollingSamples(STATS_SAMPLES);
  private running = 0;
  private requests = 0;
  private closing = false;
  private readonly abort = new AbortController();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: EngineDeps) {
    this.queue = new PriorityWorkQueue(deps.ctx.tuning.queueCapacity, deps.ctx.tuning.agingMs);
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
        this.decline(message, receivedAtLocal, decision.code, decision.message);
        return;
      case 'conflict':
        this.conflict(message, receivedAtLocal, 0, decision.conflict);
        return;
      case 'accept':
        break;
    }
    this.requests++;
    const item: WorkItem = {
      coordinate: message,
      receivedAtLocal,
      state: 'queued',
      processingMs: 0,
      release: undefined,
      result: undefined,
      cacheHit: false,
      atRelease: undefined,
      deadlineLocal: undefined,
      prepared: undefined,
      released: false,
    };
    if (!this.queue.offer(item, message.priority, performance.now())) {
      this.decline(message, receivedAtLocal, 'QUEUE_FULL', `queue full (${this.queue.capacity} waiting)`);
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
    this.decline(read.head, receivedAtLocal, read.code, read.message);
  }

  /** FREEZE: queued work is handed back; running and held work completes. */
  handBackQueued(code: DeclineCode, reason: string): number {
    const queued = this.queue.drain();
    for (const item of queued) this.decline(item.coordinate, item.receivedAtLocal, code, reason);
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
    if (this.running > 0) await this.idle(graceMs);
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
    const outcome = await this.runHandler(item);
    const endLocal = ctx.clock.localNow();
    this.running--;
    this.pump();
    if (this.running === 0) this.notifyIdle();
    if (item.state !== 'running') return; // handed back or abandoned meanwhile
    item.processingMs = Math.max(0, endLocal - item.receivedAtLocal);
    this.samples.add(item.processingMs);
    this.deps.profiler.recordProcessing(item.processingMs);
    switch (outcome.state) {
      case 'ready':
        item.result = outcome.result;
        item.cacheHit = outcome.cacheHit === true;
        item.atRelease = outcome.atRelease;
        if (item.coordinate.release_mode !== 'hold') this.release(item, endLocal);
        else if (this.closing) this.handBack(item, 'SHUTTING_DOWN');
        else this.hold(item, endLocal);
        return;
      case 'transit':
        this.finish(item);
        if (isTransitRefusal(outcome.code)) {
          // Work this agent cannot run (a verb it lacks, a payload the verb refuses): said as such, and no mark against itself.
          this.decline(item.coordinate, item.receivedAtLocal, outcome.code as TransitRefusalCode, outcome.message, item.processingMs);
          return;
        }
        this.decline(item.coordinate, item.receivedAtLocal, 'HANDLER_FAILED', `${outcome.code}: ${outcome.message}`, item.processingMs);
        this.deps.profiler.recordOutcome(false);
        return;
      case 'conflict':
        this.finish(item);
        this.conflict(item.coordinate, item.receivedAtLocal, item.processingMs, outcome.conflict, outcome.result);
        return;
    }
  }

  private async runHandler(item: WorkItem): Promise<HandlerOutcome> {
    const { ctx, handlers, context } = this.deps;
    const handlerContext: HandlerContext = {
      coordinate: item.coordinate,
      agentId: ctx.identity.agentId,
      contextHash: () => context.value,
      setContextHash: (hash) => context.set(hash),
      meshNow: () => ctx.clock.meshNow(),
      signal: this.abort.signal,
    };
    try {
      return await handlers[item.coordinate.verb](handlerContext);
    } catch (error) {
      ctx.counters.handlerFailures++;
      ctx.log.error({ event: LogEvent.HANDLER_FAILED, operation: item.coordinate.operation_id, verb: item.coordinate.verb, err: error }, 'handler threw');
      return { state: 'transit', code: 'HANDLER_THREW', message: error instanceof Error ? error.message.slice(0, 200) : 'handler failed' };
    }
  }

  /**
   * Hold mode, processing done before T: the READY is built and signed now, and the release at
   * T only hands it to the bus (and starts the handler's atRelease work), so what an observer
   * sees happens at T and many agents' releases do not queue behind each other's signing.
   * Work that ends at or after T gets no pre-built READY: it is released now, its ACK built
   * with the instant it really was ready.
   */
  private hold(item: WorkItem, endLocal: number): void {
    const { ctx, releases } = this.deps;
    const deadlineLocal = ctx.clock.toLocal(item.coordinate.target_time);
    if (endLocal >= deadlineLocal) return this.release(item, ctx.clock.localNow());
    item.state = 'held';
    item.deadlineLocal = deadlineLocal;
    // A T further away than half the TTL would make the signed ACK stale: that one is built at T.
    if (deadlineLocal - endLocal <= ctx.tuning.messageTtlMs / 2) this.prepare(item, deadlineLocal);
    item.release = releases.schedule({
      clock: ctx.clock.local,
      deadlineLocal,
      effect: (stamp, info) => this.fire(item, stamp, info),
      // Only a release its effect did not take (late, or nothing prepared) is finished here, after the pass.
      onRelease: (stamp, info) => {
        if (item.state === 'held' && !item.released) this.release(item, stamp, undefined, info);
      },
    });
  }

  private prepare(item: WorkItem, deadlineLocal: number): void {
    const { sender, ctx } = this.deps;
    const ack = sender.build({ ...this.readyFacts(item), readyAtLocal: deadlineLocal });
    sender.prepare(ack).then(
      (prepared) => {
        if (item.state === 'held' && !item.released) item.prepared = prepared;
      },
      (error: unknown) => ctx.log.error({ event: LogEvent.HANDLER_FAILED, operation: item.coordinate.operation_id, err: error }, 'could not sign the READY ahead of T; it is built at T'),
    );
  }

  /** Inside the release pass, at T: the prepared READY goes out now, unless the release is late. */
  private fire(item: WorkItem, stamp: number, info: ReleaseInfo): void {
    if (item.state !== 'held' || item.prepared === undefined) return;
    if (stamp - item.deadlineLocal! > (this.deps.prebuiltLateLimitMs ?? PREBUILT_LATE_LIMIT_MS)) return;
    this.release(item, stamp, item.prepared, info);
  }

  /**
   * The release instant: the handler's atRelease work starts now (a GPIO write is under way
   * before this returns), and the ACK is READY once it succeeded, TRANSIT if it failed.
   */
  private release(item: WorkItem, readyAtLocal: number, prepared?: PreparedAck, info?: ReleaseInfo): void {
    if (item.state === 'done') return;
    item.released = true;
    const work = item.atRelease;
    if (work === undefined) return this.ready(item, readyAtLocal, prepared, info);
    item.atRelease = undefined;
    work().then(
      () => this.ready(item, readyAtLocal, prepared, info),
      (error: unknown) => {
        if (item.state === 'done') return;
        this.finish(item);
        const message = error instanceof Error ? error.message : String(error);
        this.decline(item.coordinate, item.receivedAtLocal, 'HANDLER_FAILED', `HARDWARE_ERROR: ${message}`, item.processingMs);
        this.deps.profiler.recordOutcome(false);
      },
    );
  }

  /**
   * The ready instant has been stamped: the READY prepared before T is sent as it is; without
   * one, the ACK is built now with that instant, then signed and sent.
   */
  private ready(item: WorkItem, readyAtLocal: number, prepared?: PreparedAck, info?: ReleaseInfo): void {
    if (item.state === 'done') return;
    this.finish(item);
    const { sender, profiler, ctx } = this.deps;
    const ack = prepared?.ack ?? sender.build({ ...this.readyFacts(item), readyAtLocal });
    profiler.recordOutcome(true);
    ctx.log.debug({ event: LogEvent.COORDINATE_READY, operation: item.coordinate.operation_id, message: ack.message_id, prebuilt: prepared !== undefined }, 'READY');
    const { coordinate } = item;
    const onReady = this.deps.onReady;
    const dispatched =
      onReady &&
      ((): void =>
        onReady({
          operationId: coordinate.operation_id,
          releaseMode: coordinate.release_mode,
          targetTime: coordinate.target_time,
          readyAtLocal,
          finishedAtLocal: item.receivedAtLocal + item.processingMs,
          ackMessageId: ack.message_id,
          ...(item.deadlineLocal === undefined ? {} : { hold: { deadlineLocal: item.deadlineLocal, prebuilt: prepared !== undefined, release: info } }),
        }));
    if (prepared !== undefined) sender.sendPrepared(prepared, coordinate.priority, dispatched);
    else sender.sendAck(ack, coordinate.priority, dispatched);
  }

  private readyFacts(item: WorkItem): Omit<AckFacts, 'readyAtLocal'> {
    return {
      coordinate: item.coordinate,
      state: READY,
      receivedAtLocal: item.receivedAtLocal,
      processingMs: item.processingMs,
      result: item.result,
      ...(item.cacheHit ? { cacheHit: true } : {}),
    };
  }

  private handBack(item: WorkItem, code: DeclineCode): void {
    if (item.state === 'done') return;
    item.release?.cancel();
    this.finish(item);
    this.deps.ctx.counters.handedBack++;
    this.deps.ctx.log.info({ event: LogEvent.COORDINATE_HANDED_BACK, operation: item.coordinate.operation_id, code }, 'work handed back (TRANSIT)');
    this.decline(item.coordinate, item.receivedAtLocal, code, 'work handed back before it was ready', item.processingMs);
  }

  private finish(item: WorkItem): void {
    item.state = 'done';
    this.active.delete(item);
  }

  private decline(coordinate: AckSubject, receivedAtLocal: number, code: DeclineCode, message: string, processingMs = 0): void {
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

  private conflict(coordinate: Coordinate, receivedAtLocal: number, processingMs: number, detail: Omit<ConflictDetail, 'context_hash'> & { context_hash?: string }, result?: unknown): void {
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

  private idle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.push(done);
    });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
