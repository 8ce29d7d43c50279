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
 * The one timer behind every emulated link of a process: a heap of lanes keyed by their
 * head's release time, so thousands of per-agent links cost one armed timer.
 */
export class DelayLine {
  private readonly heap = new TimerHeap<DelayLane>();
  private timeout: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

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

  private release(): void {
    this.timeout = undefined;
    this.immediate = undefined;
    const now = performance.now();
    for (let lane = this.heap.peek(); lane !== undefined && lane.due <= now; lane = this.heap.peek()) {
      const { deliver, next } = lane.shift();
      if (next === undefined) this.heap.remove(lane);
      else this.heap.reschedule(lane, next);
      try {
        deliver();
      } catch (error) {
        this.onError(error);
      }
    }
    this.rearm();
  }

  private cancel(): void {
    clearTimeout(this.timeout);
    clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
  }
}
