/**
 * A scheduler on shared's ManualClock, for tests: nothing fires until the test advances time,
 * timers fire in time order with the clock set to their time, and each task's promise is
 * awaited before the next one runs. Every timer ever armed is kept in `history`.
 */
import type { ManualClock } from '@mesh30k/shared';
import type { Scheduler, TimerHandle, TimerLabel } from './ports.js';

interface ManualTimer {
  readonly timeMs: number;
  readonly label: TimerLabel;
  readonly seq: number;
  readonly task: () => void | Promise<void>;
  cancelled: boolean;
}

export interface ArmedTimer {
  readonly timeMs: number;
  readonly label: TimerLabel;
  /** Clock when it was armed. */
  readonly armedAt: number;
}

export class ManualScheduler implements Scheduler {
  readonly history: ArmedTimer[] = [];
  private timers: ManualTimer[] = [];
  private seq = 0;

  constructor(readonly clock: ManualClock) {}

  at(timeMs: number, task: () => void | Promise<void>, label: TimerLabel): TimerHandle {
    const timer: ManualTimer = { timeMs, label, seq: this.seq++, task, cancelled: false };
    this.timers.push(timer);
    this.history.push({ timeMs, label, armedAt: this.clock.now() });
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Timers armed and neither fired nor cancelled. */
  pending(label?: TimerLabel): number {
    return this.live().filter((t) => label === undefined || t.label === label).length;
  }

  /** When the next live timer is due, if any. */
  nextAt(): number | undefined {
    return this.live()[0]?.timeMs;
  }

  /** Fires every timer due by timeMs, in order, then leaves the clock at timeMs. */
  async advanceTo(timeMs: number): Promise<void> {
    for (let next = this.live()[0]; next !== undefined && next.timeMs <= timeMs; next = this.live()[0]) {
      this.timers = this.timers.filter((t) => t !== next);
      if (next.timeMs > this.clock.now()) this.clock.set(next.timeMs);
      await next.task();
    }
    if (timeMs > this.clock.now()) this.clock.set(timeMs);
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.clock.now() + ms);
  }

  private live(): ManualTimer[] {
    return this.timers.filter((t) => !t.cancelled).sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq);
  }
}
