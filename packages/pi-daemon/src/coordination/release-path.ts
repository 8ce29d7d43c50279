import { READY } from '@mesh30k/shared';
import type { ImpedanceProfiler } from '@mesh30k/shared';
import type { AgentContext } from '../agent/context.js';
import { LogEvent } from '../logging/events.js';
import type { PreciseTimer, ReleaseInfo } from '../clock/precise-timer.js';
import type { AckFacts, AckSender, PreparedAck } from './ack-sender.js';
import type { NonReadyAcks } from './non-ready-acks.js';
import { readyEvent, type ReadyEvent } from './ready-event.js';
import type { WorkItem } from './work-item.js';

/**
 * A pre-built READY says the agent was ready at T (its deadline on the agent's clock). When the
 * release comes later than this past it, that would not be true to within the project's
 * precision, so the ACK is built again with the real instant (after the pass, never in it).
 */
export const PREBUILT_LATE_LIMIT_MS = 1;

export interface ReleasePathDeps {
  ctx: AgentContext;
  sender: AckSender;
  releases: PreciseTimer;
  profiler: ImpedanceProfiler;
  acks: NonReadyAcks;
  /** Marks an item answered (the engine forgets it). */
  finish: (item: WorkItem) => void;
  prebuiltLateLimitMs?: number;
  onReady?: (event: ReadyEvent) => void;
}

/**
 * From processing done to READY sent. `lead` and `none` release at once; `hold` waits for T on
 * the agent's clock, timed by the shared precise timer, with the READY built and signed when
 * processing ends and handed to the bus at T.
 */
export class ReleasePath {
  constructor(private readonly deps: ReleasePathDeps) {}

  /**
   * Hold mode, processing done before T: the READY is built and signed now, and the release at
   * T only hands it to the bus (and starts the handler's atRelease work), so what an observer
   * sees happens at T and many agents' releases do not queue behind each other's signing.
   * Work that ends at or after T gets no pre-built READY: it is released now, its ACK built
   * with the instant it really was ready.
   */
  hold(item: WorkItem, endLocal: number): void {
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

  /**
   * The release instant: the handler's atRelease work starts now (a GPIO write is under way
   * before this returns), and the ACK is READY once it succeeded, TRANSIT if it failed.
   */
  release(item: WorkItem, readyAtLocal: number, prepared?: PreparedAck, info?: ReleaseInfo): void {
    if (item.state === 'done') return;
    item.released = true;
    const work = item.atRelease;
    if (work === undefined) return this.ready(item, readyAtLocal, prepared, info);
    item.atRelease = undefined;
    work().then(
      () => this.ready(item, readyAtLocal, prepared, info),
      (error: unknown) => {
        if (item.state === 'done') return;
        this.deps.finish(item);
        const message = error instanceof Error ? error.message : String(error);
        this.deps.acks.decline(item.coordinate, item.receivedAtLocal, 'HANDLER_FAILED', `HARDWARE_ERROR: ${message}`, item.processingMs);
        this.deps.profiler.recordOutcome(false);
      },
    );
  }

  private prepare(item: WorkItem, deadlineLocal: number): void {
    const { sender, ctx } = this.deps;
    const ack = sender.build({ ...readyFacts(item), readyAtLocal: deadlineLocal });
    sender.prepare(ack).then(
      (prepared) => {
        if (item.state === 'held' && !item.released) item.prepared = prepared;
      },
      (error: unknown) => ctx.log.error({ event: LogEvent.HANDLER_FAILED, operation: item.coordinate.operation_id, err: error }, 'could not sign the READY ahead of T; it is built at T'),
    );
  }

  /**
   * Inside the release pass, at T: the READY signed before T goes out now. A release later than
   * the limit (that READY would say T) or one with nothing prepared yet is built with its stamp
   * and signed here, without a promise, where the agent's signer can: it still leaves inside the
   * pass, not after it. With a signer that cannot, it is built after the pass (onRelease).
   */
  private fire(item: WorkItem, stamp: number, info: ReleaseInfo): void {
    if (item.state !== 'held') return;
    const late = stamp - item.deadlineLocal! > (this.deps.prebuiltLateLimitMs ?? PREBUILT_LATE_LIMIT_MS);
    const prepared = item.prepared !== undefined && !late ? item.prepared : this.signNow(item, stamp);
    if (prepared !== undefined) this.release(item, stamp, prepared, info);
  }

  private signNow(item: WorkItem, readyAtLocal: number): PreparedAck | undefined {
    const { sender } = this.deps;
    return sender.signNow(sender.build({ ...readyFacts(item), readyAtLocal }));
  }

  /**
   * The ready instant has been stamped: a READY already signed (before T, or in the release) is
   * sent as it is; without one, the ACK is built now with that instant, then signed and sent.
   */
  private ready(item: WorkItem, readyAtLocal: number, prepared?: PreparedAck, info?: ReleaseInfo): void {
    if (item.state === 'done') return;
    this.deps.finish(item);
    const { sender, profiler, ctx } = this.deps;
    const ack = prepared?.ack ?? sender.build({ ...readyFacts(item), readyAtLocal });
    profiler.recordOutcome(true);
    const signedAtRelease = prepared?.signedAtRelease === true;
    const prebuilt = prepared !== undefined && !signedAtRelease;
    ctx.log.debug({ event: LogEvent.COORDINATE_READY, operation: item.coordinate.operation_id, message: ack.message_id, prebuilt, signedAtRelease }, 'READY');
    const onReady = this.deps.onReady;
    const dispatched = onReady && ((): void => onReady(readyEvent(item, readyAtLocal, ack.message_id, { prebuilt, signedAtRelease }, info)));
    const { priority } = item.coordinate;
    if (prepared !== undefined) sender.sendPrepared(prepared, priority, dispatched);
    else sender.sendAck(ack, priority, dispatched);
  }
}

function readyFacts(item: WorkItem): Omit<AckFacts, 'readyAtLocal'> {
  return {
    coordinate: item.coordinate,
    state: READY,
    receivedAtLocal: item.receivedAtLocal,
    processingMs: item.processingMs,
    result: item.result,
    ...(item.cacheHit ? { cacheHit: true } : {}),
  };
}
