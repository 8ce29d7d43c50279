import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/**
 * What the precise timer needs from the runtime, as one narrow interface: the monotonic clock,
 * a timer, a turn of the event loop, a blocking sleep and the event loop's delay. The real one
 * is Node's; tests pass a fake whose clock they move, so how the timer adapts its margin and
 * spin to measured lateness is checked without depending on how busy the test machine is.
 */
export interface TimerPlatform {
  /** Monotonic ms (performance.now()). */
  now(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Runs `fn` on a later turn of the event loop (setImmediate). */
  nextTurn(fn: () => void): void;
  /** Blocks the thread for `ms` without burning a CPU (Atomics.wait); it may oversleep. */
  sleep(ms: number): void;
  /**
   * The event loop's delay monitor, started: what the loop was late by beyond its own
   * resolution since the last reset. Asked for only by an adaptive timer.
   */
  loopDelay(): LoopDelayMonitor;
}

export type TimerHandle = unknown;

export interface LoopDelayMonitor {
  /** p99 of the loop's delay since the last reset, ms beyond the monitor's resolution; undefined without a sample. */
  p99Ms(): number | undefined;
  reset(): void;
  stop(): void;
}

/** Resolution of the event-loop delay monitor, ms (a libuv timer, no JS). */
const LOOP_MONITOR_RESOLUTION_MS = 10;
/** What Atomics.wait waits on: nothing ever notifies it, so every wait runs to its timeout. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export const nodeTimerPlatform: TimerPlatform = Object.freeze({
  now: () => performance.now(),
  setTimer: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimer: (handle: TimerHandle) => clearTimeout(handle as NodeJS.Timeout),
  nextTurn: (fn: () => void) => void setImmediate(fn),
  sleep: (ms: number) => void Atomics.wait(sleepCell, 0, 0, ms),
  loopDelay: (): LoopDelayMonitor => {
    const histogram = monitorEventLoopDelay({ resolution: LOOP_MONITOR_RESOLUTION_MS });
    histogram.enable();
    return {
      p99Ms: () => (histogram.count === 0 ? undefined : histogram.percentile(99) / 1e6 - LOOP_MONITOR_RESOLUTION_MS),
      reset: () => histogram.reset(),
      stop: () => histogram.disable(),
    };
  },
});
