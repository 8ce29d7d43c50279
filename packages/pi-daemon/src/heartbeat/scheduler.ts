import { performance } from 'node:perf_hooks';
import { TimerHeap, type Timed } from '../clock/timer-heap.js';

/** Beats started per event-loop turn: each signs a heartbeat (~0.1-0.3 ms on a Pi 4). */
export const DEFAULT_BEATS_PER_TURN = 4;
/** How long a batch is assumed to take when checking for an imminent hold-mode release. */
const BATCH_BUDGET_MS = 2;
/** While a release is imminent, the scheduler looks again this soon. */
const YIELD_RETRY_MS = 1;
/** How early a slot's timer may fire (setTimeout's whole-ms rounding). */
const TIMER_SLACK_MS = 1;

export interface BeatTask {
  /** Starts one heartbeat; must not throw and must not block for long (the send is async). */
  beat(): void;
  /** Wait until the next beat, ms, jitter included. */
  nextIntervalMs(): number;
}

export interface BeatHandle {
  remove(): void;
  /** Moves the next beat to `inMs` from now (e.g. when the lead changes the interval). */
  reschedule(inMs: number): void;
}

/** Anything that can say a precise deadline is about to fall (the hold-mode timer). */
export interface QuietWindow {
  imminentWithin(ms: number): boolean;
}

interface Entry extends Timed {
  task: BeatTask;
  removed: boolean;
}

export interface BeatSchedulerOptions {
  beatsPerTurn?: number;
  /**
   * Slot width, ms (0: none). Beats due in the same slot start together at its end, so their
   * requests leave in one socket write instead of one write each: a sim fleet's beats are
   * spread over the interval, about one per millisecond. A beat is never early, and at most
   * this late (small beside the interval's jitter).
   */
  tickMs?: number;
  /** When given, batches wait while a release is imminent, so beats never delay a stamp. */
  quiet?: QuietWindow;
  onError?: (error: unknown) => void;
}

/**
 * One timer for the heartbeats of every agent in the process (one real agent, or thousands of
 * virtual ones): a heap of due times, a single setTimeout for the earliest, and small batches
 * per event-loop turn so beats never hold the thread for long.
 */
export class BeatScheduler {
  private readonly heap = new TimerHeap<Entry>();
  private readonly perTurn: number;
  private readonly tickMs: number;
  private readonly quiet: QuietWindow | undefined;
  private readonly onError: (error: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  /** A continuation turn is queued with setImmediate. */
  private continuing = false;
  private stopped = false;
  private beats = 0;
  private turns = 0;

  constructor(options: BeatSchedulerOptions = {}) {
    this.perTurn = options.beatsPerTurn ?? DEFAULT_BEATS_PER_TURN;
    this.tickMs = options.tickMs ?? 0;
    this.quiet = options.quiet;
    this.onError = options.onError ?? (() => undefined);
  }

  get size(): number {
    return this.heap.size;
  }

  /** Beats started since construction. */
  get started(): number {
    return this.beats;
  }

  /** Event-loop turns that started at least one beat. */
  get batches(): number {
    return this.turns;
  }

  add(task: BeatTask, firstInMs: number): BeatHandle {
    const entry: Entry = { task, due: performance.now() + Math.max(0, firstInMs), heapIndex: -1, removed: false };
    if (!this.stopped) {
      this.heap.push(entry);
      this.arm();
    }
    return {
      remove: () => {
        entry.removed = true;
        this.heap.remove(entry);
      },
      reschedule: (inMs) => {
        if (entry.removed || this.stopped) return;
        this.heap.reschedule(entry, performance.now() + Math.max(0, inMs));
        this.arm();
      },
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const entry of this.heap.drain()) entry.removed = true;
  }

  private arm(): void {
    if (this.continuing || this.stopped) return;
    const head = this.heap.peek();
    if (head === undefined) return;
    const due = slotEnd(head.due, this.tickMs);
    if (this.timer !== undefined && this.timerDue <= due) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.turn(), Math.max(0, due - performance.now()));
  }

  private turn(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    this.continuing = false;
    if (this.stopped) return;
    if (this.quiet?.imminentWithin(BATCH_BUDGET_MS) === true) {
      this.timerDue = performance.now() + YIELD_RETRY_MS;
      this.timer = setTimeout(() => this.turn(), YIELD_RETRY_MS);
      return;
    }
    const now = performance.now();
    // With slots, a timer that fires a fraction of a ms before its slot's end still serves
    // the whole slot (setTimeout counts whole ms), rather than arming again for the rest.
    const horizon = this.tickMs > 0 ? now + TIMER_SLACK_MS : now;
    let started = 0;
    if (this.heap.peek() !== undefined && this.heap.peek()!.due <= horizon) this.turns++;
    for (let head = this.heap.peek(); head !== undefined && head.due <= horizon && started < this.perTurn; head = this.heap.peek()) {
      started++;
      this.beats++;
      try {
        head.task.beat();
      } catch (error) {
        this.onError(error);
      }
      if (!head.removed && !this.stopped) this.heap.reschedule(head, now + Math.max(1, safeInterval(head.task)));
    }
    const next = this.heap.peek();
    if (next !== undefined && next.due <= performance.now()) {
      // More are due: continue next turn, after pending I/O has had its say.
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.continuing = true;
      setImmediate(() => this.turn());
      return;
    }
    this.arm();
  }
}

/** The end of the slot of width `tickMs` that `due` falls in (`due` itself without slots). */
export function slotEnd(due: number, tickMs: number): number {
  return tickMs > 0 ? Math.ceil(due / tickMs) * tickMs : due;
}

function safeInterval(task: BeatTask): number {
  const ms = task.nextIntervalMs();
  return Number.isFinite(ms) ? ms : 1000;
}
