/**
 * The scheduler of a running lead: one queue ordered by due time, setTimeout for the coarse
 * wait, then a short setImmediate loop for the last stretch, because setTimeout alone fires up
 * to a millisecond or two late and a send bucket is only 10 ms wide. The loop yields on every
 * turn, so I/O keeps flowing.
 *
 * One queue rather than a timer per task: with a timer each, a task whose coarse timer ran
 * first can be left waiting in the setImmediate phase while a stalled event loop lets a later
 * task's timer run it first. Here every turn runs whatever is due, earliest first.
 */
import type { Clock } from '@mesh30k/shared';
import type { Scheduler, TimerHandle, TimerLabel } from './ports.js';

/** The final stretch waited for with setImmediate instead of setTimeout. */
export const DEFAULT_PRECISE_WINDOW_MS = 2;

/** Wall-clock ms with sub-millisecond resolution (Date.now() has whole milliseconds only). */
export const performanceClock: Clock = Object.freeze({ now: () => performance.timeOrigin + performance.now() });

export interface RealSchedulerOptions {
  readonly clock: Clock;
  /** Called with a task's error; a timer task never takes the process down. */
  readonly onError: (error: unknown, label: TimerLabel) => void;
  readonly preciseWindowMs?: number;
}

interface Entry {
  readonly timeMs: number;
  /** Insertion order: tasks due at the same instant run in the order they were scheduled. */
  readonly seq: number;
  readonly task: () => void | Promise<void>;
  readonly label: TimerLabel;
  cancelled: boolean;
}

const before = (a: Entry, b: Entry) => a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);

export class RealScheduler implements Scheduler {
  private readonly windowMs: number;
  /** Pending tasks, earliest first. */
  private readonly queue: Entry[] = [];
  private nextSeq = 0;
  private timeout: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;

  constructor(private readonly options: RealSchedulerOptions) {
    this.windowMs = options.preciseWindowMs ?? DEFAULT_PRECISE_WINDOW_MS;
  }

  at(timeMs: number, task: () => void | Promise<void>, label: TimerLabel): TimerHandle {
    const entry: Entry = { timeMs, seq: this.nextSeq++, task, label, cancelled: false };
    this.insert(entry);
    if (this.queue[0] === entry) this.arm();
    return {
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        const index = this.queue.indexOf(entry);
        if (index >= 0) this.queue.splice(index, 1);
        if (index === 0) this.arm();
      },
    };
  }

  private insert(entry: Entry): void {
    let low = 0;
    let high = this.queue.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (before(this.queue[mid]!, entry)) low = mid + 1;
      else high = mid;
    }
    this.queue.splice(low, 0, entry);
  }

  /** Aims the one pending wake-up at the earliest task. */
  private arm(): void {
    clearTimeout(this.timeout);
    clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
    const head = this.queue[0];
    if (!head) return;
    const coarseMs = head.timeMs - this.options.clock.now() - this.windowMs;
    if (coarseMs > 0) this.timeout = setTimeout(() => this.tick(), coarseMs);
    else this.immediate = setImmediate(() => this.tick());
  }

  private tick(): void {
    this.timeout = undefined;
    this.immediate = undefined;
    const now = this.options.clock.now();
    while (this.queue.length > 0 && this.queue[0]!.timeMs <= now) {
      const entry = this.queue.shift()!;
      entry.cancelled = true;
      this.run(entry);
    }
    this.arm();
  }

  private run(entry: Entry): void {
    try {
      const pending = entry.task();
      if (pending instanceof Promise) pending.catch((error: unknown) => this.options.onError(error, entry.label));
    } catch (error) {
      this.options.onError(error, entry.label);
    }
  }
}
