import { performance } from 'node:perf_hooks';
import { TimerHeap, type Timed } from '../../clock/timer-heap.js';

/**
 * setTimeout has 1 ms granularity and may fire a little early relative to a fractional
 * deadline; the last stretch is covered by setImmediate turns so nothing is delivered early.
 */
const SPIN_WINDOW_MS = 1;

interface Pending {
  readonly releaseAt: number;
  readonly deliver: () => void;
  /** Told when the lane is cleared with this message still in it. */
  readonly dropped: (() => void) | undefined;
}

/**
 * One direction of one emulated link: a FIFO whose entries leave at max(sent + delay, the
 * previous entry's release), so messages never overtake each other, as on a TCP stream.
 * Only its head sits in the process's DelayLine heap.
 */
export class DelayLane implements Timed {
  due = Number.POSITIVE_INFINITY;
  heapIndex = -1;
  private readonly queue: Pending[] = [];
  private head = 0;
  private lastReleaseAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly line: DelayLine) {}

  /** Messages accepted and not yet delivered. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /**
   * Hands `deliver` over `delayMs` after `sentAt`, but never before anything sent earlier on
   * this lane; returns the delay it will really see (the draw, or longer behind the FIFO).
   * `dropped` is called instead of `deliver` if the lane is cleared first.
   */
  send(delayMs: number, deliver: () => void, sentAt = performance.now(), dropped?: () => void): number {
    const releaseAt = Math.max(sentAt + delayMs, this.lastReleaseAt);
    this.lastReleaseAt = releaseAt;
    this.queue.push({ releaseAt, deliver, dropped });
    if (this.queued === 1) this.line.enqueue(this, releaseAt);
    return releaseAt - sentAt;
  }

  /** Drops what is queued (the link went away). */
  clear(): void {
    const left = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    this.line.forget(this);
    for (const entry of left) entry.dropped?.();
  }

  /** Takes the head off; the next head's release time, or undefined when the lane is empty. */
  shift(): { deliver: () => void; next: number | undefined } {
    const entry = this.queue[this.head++]!;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return { deliver: entry.deliver, next: this.queue[this.head]?.releaseAt };
  }
}

/**
 * Deliveries made between two calls of a line's `afterSlice`: the messages handed over in one
 * slice reach the wire together, the next slice's after them.
 */
const SLICE_MS = 0.2;
/** Longest run of deliveries in one event-loop turn; past it the rest waits for the next turn. */
const MAX_RUN_MS = 20;

export interface DelayLineOptions {
  /** Called when a delivery throws (the run goes on). */
  onError?: (error: unknown) => void;
  /**
   * Called after every SLICE_MS of deliveries when more are due in the same run. A sim flushes its
   * NATS client here: the client writes only once the turn ends, so without it the first
   * message of a run of hundreds (every agent's ACK, due together at T) waited for the last.
   */
  afterSlice?: () => void;
}

/**
 * The one timer behind every emulated link of a process: a heap of lanes keyed by their
 * head's release time, so thousands of per-agent links cost one armed timer.
 */
export class DelayLine {
  private readonly heap = new TimerHeap<DelayLane>();
  private timeout: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;
  private readonly onError: (error: unknown) => void;
  private readonly afterSlice: (() => void) | undefined;

  constructor(options: DelayLineOptions = {}) {
    this.onError = options.onError ?? (() => undefined);
    this.afterSlice = options.afterSlice;
  }

  lane(): DelayLane {
    return new DelayLane(this);
  }

  /** Called by a lane that was empty and now has a head due at `due`. */
  enqueue(lane: DelayLane, due: number): void {
    if (this.stopped) return;
    this.heap.reschedule(lane, due);
    if (this.heap.peek() === lane) this.rearm();
  }

  forget(lane: DelayLane): void {
    this.heap.remove(lane);
  }

  /** Stops the timer; queued deliveries are dropped (and their senders told). */
  stop(): void {
    this.stopped = true;
    this.cancel();
    for (const lane of this.heap.drain()) lane.clear();
  }

  private rearm(): void {
    this.cancel();
    const next = this.heap.peek();
    if (next === undefined || this.stopped) return;
    const remaining = next.due - performance.now();
    if (remaining <= SPIN_WINDOW_MS) this.immediate = setImmediate(() => this.release());
    else this.timeout = setTimeout(() => this.release(), remaining - SPIN_WINDOW_MS / 2);
  }

  /**
   * Delivers every head that is due, in due order. The clock is read again after each slice, so
   * what fell due meanwhile (a run of hundreds takes milliseconds) joins this run instead of
   * waiting for another turn; between slices `afterSlice` runs (the sim's NATS flush).
   */
  private release(): void {
    this.timeout = undefined;
    this.immediate = undefined;
    const started = performance.now();
    let now = started;
    let sliceFrom = started;
    for (let lane = this.heap.peek(); lane !== undefined && lane.due <= now; lane = this.heap.peek()) {
      const { deliver, next } = lane.shift();
      if (next === undefined) this.heap.remove(lane);
      else this.heap.reschedule(lane, next);
      try {
        deliver();
      } catch (error) {
        this.onError(error);
      }
      now = performance.now();
      if (now - sliceFrom < SLICE_MS) continue;
      if (now - started > MAX_RUN_MS) break;
      // More may follow in this run: what this slice handed over leaves now. The last slice's
      // leaves when the turn ends, as any send does.
      if ((this.heap.peek()?.due ?? Infinity) <= now) this.endSlice();
      sliceFrom = now;
    }
    this.rearm();
  }

  private endSlice(): void {
    try {
      this.afterSlice?.();
    } catch (error) {
      this.onError(error);
    }
  }

  private cancel(): void {
    clearTimeout(this.timeout);
    clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
  }
}
