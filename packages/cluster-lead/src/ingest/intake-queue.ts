/**
 * Heartbeats between the socket and their handling, worked off in slices (issue 15).
 *
 * nats.js hands over every message of a socket read from one chain of microtasks, and every
 * read already waiting behind it in the same chain: a lead that fell behind its input handled
 * thousands of beats without giving the event loop a turn (stalls of 500-670 ms at 6,000
 * beats/s in a profile), so its API, timers and HELLOs waited. Taking a message off the socket
 * is cheap; here it only joins this queue. The queue is then handled in order, at most
 * `sliceMs` at a time, with a turn of the event loop (setImmediate) between slices.
 *
 * A beat that waited longer than `maxWaitMs` here is not worth its full cost any more: its
 * agent gives up on it soon (its reply timeout). It is `shed` instead (a few unsigned bytes
 * with a retry_after_ms), so a lead behind its input catches up rather than spending itself
 * on answers nobody waits for.
 */
export interface IntakeQueueOptions<T> {
  /** Longest a slice runs before the event loop gets a turn, ms (`sliceNow`'s units). */
  sliceMs: number;
  /** An item older than this when its turn comes is shed, not handled, ms (`clockNow`'s units). Absent: none is. */
  maxWaitMs?: number;
  /** The clock items are stamped with (the lead's). */
  clockNow: () => number;
  /** The clock slices are timed with (performance.now(), or a test's). */
  sliceNow?: () => number;
  handle(item: T, receivedAt: number): void;
  shed(item: T, receivedAt: number, waitedMs: number): void;
  /** A handler that threw; the rest of the queue is still handled. */
  onError(error: unknown): void;
}

/** Below this many handled items at the front, the array is not compacted. */
const COMPACT_AFTER = 1_024;

export class IntakeQueue<T> {
  private items: T[] = [];
  private stamps: number[] = [];
  private head = 0;
  private scheduled = false;
  /** Slices run, and items shed (for tests and metrics). */
  slices = 0;
  shedCount = 0;

  constructor(private readonly options: IntakeQueueOptions<T>) {}

  /** Items waiting. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Queues one item received at `receivedAt` (clockNow's units); a slice follows on the next turn. */
  push(item: T, receivedAt: number): void {
    this.items.push(item);
    this.stamps.push(receivedAt);
    this.scheduleSlice();
  }

  /** Handles everything queued now, in one go (a stopping lead). */
  drainNow(): void {
    while (this.length > 0) this.take();
  }

  private slice(): void {
    if (this.length === 0) return;
    this.slices++;
    const now = this.options.sliceNow ?? (() => performance.now());
    const start = now();
    do this.take();
    while (this.length > 0 && now() - start < this.options.sliceMs);
    if (this.length > 0) this.scheduleSlice();
  }

  /** One slice on the next turn of the event loop, unless one is already due. */
  private scheduleSlice(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.slice();
    });
  }

  /** The front item: shed when it waited too long, else handled. */
  private take(): void {
    const item = this.items[this.head]!;
    const receivedAt = this.stamps[this.head]!;
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    } else if (this.head === this.items.length) {
      this.items.length = 0;
      this.stamps.length = 0;
      this.head = 0;
    }
    try {
      const waited = this.options.clockNow() - receivedAt;
      if (this.options.maxWaitMs !== undefined && waited > this.options.maxWaitMs) {
        this.shedCount++;
        this.options.shed(item, receivedAt, waited);
      } else {
        this.options.handle(item, receivedAt);
      }
    } catch (error) {
      this.options.onError(error);
    }
  }
}
