/**
 * The scheduler of a running lead: setTimeout for the coarse wait, then a short setImmediate
 * loop for the last stretch, because setTimeout alone fires up to a millisecond or two late and
 * a send bucket is only 10 ms wide. The loop yields on every turn, so I/O keeps flowing.
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

export class RealScheduler implements Scheduler {
  private readonly windowMs: number;

  constructor(private readonly options: RealSchedulerOptions) {
    this.windowMs = options.preciseWindowMs ?? DEFAULT_PRECISE_WINDOW_MS;
  }

  at(timeMs: number, task: () => void | Promise<void>, label: TimerLabel): TimerHandle {
    const { clock, onError } = this.options;
    let cancelled = false;
    let timeout: ReturnType<typeof setTimeout> | undefined;
    let immediate: ReturnType<typeof setImmediate> | undefined;
    const run = (): void => {
      try {
        const pending = task();
        if (pending instanceof Promise) pending.catch((error: unknown) => onError(error, label));
      } catch (error) {
        onError(error, label);
      }
    };
    const spin = (): void => {
      if (cancelled) return;
      if (clock.now() >= timeMs) run();
      else immediate = setImmediate(spin);
    };
    const coarseMs = timeMs - clock.now() - this.windowMs;
    if (coarseMs > 0) timeout = setTimeout(spin, coarseMs);
    else immediate = setImmediate(spin);
    return {
      cancel: () => {
        cancelled = true;
        clearTimeout(timeout);
        clearImmediate(immediate);
      },
    };
  }
}
