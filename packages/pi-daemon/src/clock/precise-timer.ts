import { performance } from 'node:perf_hooks';
import type { Clock } from '@mesh30k/shared';
import { TimerHeap, type Timed } from './timer-heap.js';

/**
 * Default margin of the precise wait: the busy wait starts this long before the deadline. It
 * must exceed the longest synchronous task on the thread, since a timer can fire that much
 * late; the heartbeat scheduler and the ACK sender keep their slices well under it.
 */
export const DEFAULT_SPIN_MARGIN_MS = 3;
/** Releases handed to their callbacks per event-loop turn after a spin (each signs an ACK). */
export const DEFAULT_DELIVERY_CHUNK = 8;
/**
 * Entries due soon are taken out of the heap this long before the spin, so that moving
 * thousands of them (simulation) costs nothing at the deadline itself.
 */
const PREPARE_MS = 50;
/** Everything due within this long after the earliest entry joins its batch (one spin serves a cluster). */
const BATCH_WINDOW_MS = 2 * PREPARE_MS;
/**
 * Worst rate error assumed between an agent's clock and the monotonic clock (1000 ppm): the
 * preparing timer fires early by this share of the wait, and estimates are then refreshed.
 */
const RATE_GUARD = 1e-3;
/** Longest busy wait in one go; beyond it the thread is yielded and the spin resumes by timer. */
const MAX_SPIN_MS = 20;
/** Longest wait on one entry's own clock when its monotonic estimate is already due. */
const MAX_CATCH_UP_MS = 0.5;

export interface ReleaseRequest {
  /** The clock the deadline is on (an agent's own clock, possibly skewed). */
  clock: Clock;
  deadlineLocal: number;
  /** Called after the spin with the instant the release was stamped, on `clock`. */
  onRelease: (stampLocal: number) => void;
}

export interface ReleaseHandle {
  /** False when already released or cancelled. */
  cancel(): boolean;
}

/** A class, not a spread object literal: one stable shape keeps the spin loop fast. */
class Entry implements Timed, ReleaseRequest {
  due: number;
  heapIndex = -1;
  state: 'pending' | 'stamped' | 'done' | 'cancelled' = 'pending';
  stamp = 0;
  readonly clock: Clock;
  readonly deadlineLocal: number;
  readonly onRelease: (stampLocal: number) => void;

  constructor(request: ReleaseRequest) {
    this.clock = request.clock;
    this.deadlineLocal = request.deadlineLocal;
    this.onRelease = request.onRelease;
    this.due = estimateDue(request);
  }
}

export interface PreciseTimerOptions {
  marginMs?: number;
  deliveryChunk?: number;
}

/**
 * One timer for every hold-mode release of the process. Entries wait in a heap; 50 ms before
 * the earliest deadline, everything due soon moves to a batch sorted by due time (their
 * monotonic due times re-read from their own clocks, so the costly part is done early);
 * `marginMs` before it, a busy wait walks the batch and stamps each entry as it falls due.
 * The callbacks, which sign and send ACKs, run only after the spin, in small chunks, so
 * releases that fall together do not delay each other's stamps.
 */
export class PreciseTimer {
  private readonly heap = new TimerHeap<Entry>();
  /** Entries taken out of the heap for the next spin. */
  private batch: Entry[] = [];
  /** Earliest due time in the batch (may be stale-early after a cancel, never late). */
  private batchEarliest = Infinity;
  private readonly marginMs: number;
  private readonly chunk: number;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private readonly stamped: Entry[] = [];
  private delivering = false;
  private stopped = false;
  private lateMs = 0;

  constructor(options: PreciseTimerOptions = {}) {
    this.marginMs = options.marginMs ?? DEFAULT_SPIN_MARGIN_MS;
    this.chunk = options.deliveryChunk ?? DEFAULT_DELIVERY_CHUNK;
  }

  get pending(): number {
    return this.heap.size + this.batch.filter((e) => e.state === 'pending').length;
  }

  /** Worst lateness of a stamp so far (clock reading past the deadline), ms. */
  get worstLateMs(): number {
    return this.lateMs;
  }

  schedule(request: ReleaseRequest): ReleaseHandle {
    const entry = new Entry(request);
    if (this.stopped) entry.state = 'cancelled';
    else {
      this.heap.push(entry);
      this.arm();
    }
    return {
      cancel: () => {
        if (entry.state !== 'pending') return false;
        entry.state = 'cancelled';
        this.heap.remove(entry);
        this.arm();
        return true;
      },
    };
  }

  /** True when a release is due within `ms` from now: heavy work should wait until after it. */
  imminentWithin(ms: number): boolean {
    const due = this.earliestDue();
    return due - performance.now() <= ms + this.marginMs;
  }

  /** Cancels every pending release and returns their requests (for handing work back). */
  stop(): ReleaseRequest[] {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const left = [...this.batch.filter((e) => e.state === 'pending'), ...this.heap.drain()];
    this.batch = [];
    this.batchEarliest = Infinity;
    for (const entry of left) entry.state = 'cancelled';
    return left;
  }

  private earliestDue(): number {
    return Math.min(this.heap.peek()?.due ?? Infinity, this.batchEarliest);
  }

  private arm(): void {
    if (this.stopped) return;
    const now = performance.now();
    const batchDue = this.batchEarliest;
    const head = this.heap.peek();
    const heapFire = head === undefined ? Infinity : head.due - PREPARE_MS - Math.max(0, head.due - now) * RATE_GUARD;
    const fireAt = Math.min(batchDue - this.marginMs, heapFire);
    if (fireAt === Infinity) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.armedFor = Infinity;
      return;
    }
    if (this.timer !== undefined && this.armedFor <= fireAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = fireAt;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, fireAt - now));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    this.prepare();
    if (this.batchEarliest - performance.now() <= this.marginMs) this.spin();
    this.arm();
    this.scheduleDelivery();
  }

  /** Moves entries due within PREPARE_MS into the batch, with due times re-read from their clocks. */
  private prepare(): void {
    const horizon = performance.now() + BATCH_WINDOW_MS;
    let added = 0;
    for (let head = this.heap.peek(); head !== undefined && head.due <= horizon; head = this.heap.peek()) {
      const entry = this.heap.pop()!;
      entry.due = estimateDue(entry);
      this.batch.push(entry);
      added++;
    }
    if (added > 0) this.sortBatch();
  }

  /**
   * Busy-waits through the batch (sorted by due time) and stamps each entry when it falls
   * due: one monotonic read per check, then the entry's own clock is read once, for its stamp.
   * An entry whose own clock has not quite reached its deadline (rates differ by a few ppm)
   * is waited for on that clock, so nothing is ever released early.
   */
  private spin(): void {
    const started = performance.now();
    const batch = this.batch;
    let next = 0;
    spinning: while (next < batch.length) {
      const now = performance.now();
      const head = batch[next]!;
      if (head.state === 'pending' && (head.due - now > this.marginMs || now - started > MAX_SPIN_MS)) break;
      // Everything already due at `now` is stamped in one tight run: one clock read each.
      for (; next < batch.length; next++) {
        const entry = batch[next]!;
        if (entry.state !== 'pending') continue;
        if (entry.due > now) continue spinning;
        let local = entry.clock.now();
        if (local < entry.deadlineLocal) {
          const since = performance.now();
          while (local < entry.deadlineLocal && performance.now() - since < MAX_CATCH_UP_MS) local = entry.clock.now();
          if (local < entry.deadlineLocal) {
            // Its clock runs slower than estimated: look again next round.
            entry.due = estimateDue(entry);
            break spinning;
          }
        }
        entry.state = 'stamped';
        entry.stamp = local;
        this.stamped.push(entry);
      }
    }
    for (let i = 0; i < next; i++) {
      const entry = batch[i]!;
      if (entry.state === 'stamped') this.lateMs = Math.max(this.lateMs, entry.stamp - entry.deadlineLocal);
    }
    this.batch = batch.slice(next).filter((e) => e.state === 'pending');
    this.sortBatch();
  }

  private sortBatch(): void {
    this.batch.sort((a, b) => a.due - b.due);
    this.batchEarliest = this.batch[0]?.due ?? Infinity;
  }

  private scheduleDelivery(): void {
    if (this.delivering || this.stamped.length === 0) return;
    this.delivering = true;
    setImmediate(() => this.deliverChunk());
  }

  private deliverChunk(): void {
    const batch = this.stamped.splice(0, this.chunk);
    for (const entry of batch) {
      if (entry.state !== 'stamped') continue;
      entry.state = 'done';
      entry.onRelease(entry.stamp);
    }
    if (this.stamped.length === 0) {
      this.delivering = false;
      return;
    }
    setImmediate(() => this.deliverChunk());
  }
}

/** Monotonic instant at which `clock` will read the deadline, assuming equal rates. */
function estimateDue(request: ReleaseRequest): number {
  return performance.now() + (request.deadlineLocal - request.clock.now());
}
