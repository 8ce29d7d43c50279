/**
 * How long before a hold-mode deadline the precise timer starts its busy wait. The wait starts
 * from a setTimeout, which fires as late as the event loop is busy; a margin shorter than that
 * lateness makes the release late, a longer one burns CPU (which, with two cores shared, makes
 * everything else late). So the margin follows what was measured: a high quantile of recent
 * wake-up lateness and event-loop delay, plus a little headroom, within fixed bounds.
 */

export interface SpinMarginOptions {
  /** Before enough samples exist, and as the starting point. */
  initialMs: number;
  minMs: number;
  maxMs: number;
  /** Samples kept: old spikes age out after this many wakes. */
  window: number;
  /** Samples needed before the measured rule replaces `initialMs`. */
  minSamples: number;
  /** The quantile of recent lateness the margin must cover (0-1). */
  quantile: number;
  /** Added to that quantile: the spin's own first checks and one clock read per entry. */
  headroomMs: number;
}

export const DEFAULT_SPIN_MARGIN: SpinMarginOptions = Object.freeze({
  initialMs: 3,
  minMs: 1,
  // A busy wait longer than a few scheduler slices is preempted on a loaded machine, which makes
  // it later, not earlier; well below the precise timer's longest single busy wait (20 ms).
  maxMs: 8,
  window: 64,
  minSamples: 8,
  quantile: 0.95,
  headroomMs: 0.5,
});

/**
 * The busy-waited tail of the wait: the timer sleeps until this long before a due time, then
 * spins. A sleep (a futex wait) wakes late by the kernel's timer slack (50 us by default) and by
 * however long the thread then waits for a CPU; the tail covers a high quantile of the measured
 * overshoot, from 0.2 ms (ADR 0008's fixed value) to start with. The ceiling is low on purpose:
 * overshoot beyond a millisecond is waiting for a CPU, which a longer spin makes worse (the
 * spinning thread holds a core the others need, and is preempted sooner).
 */
export const DEFAULT_SPIN_TAIL: SpinMarginOptions = Object.freeze({
  initialMs: 0.2,
  minMs: 0.05,
  maxMs: 1,
  window: 64,
  minSamples: 8,
  quantile: 0.95,
  headroomMs: 0.03,
});

/**
 * The rule itself, pure: the margin for a set of lateness samples (ms, negative = early, read
 * as 0). NaN and infinite samples are ignored.
 */
export function spinMarginFor(samples: readonly number[], options: SpinMarginOptions = DEFAULT_SPIN_MARGIN): number {
  const usable = samples.filter(Number.isFinite).map((s) => Math.max(0, s));
  if (usable.length < options.minSamples) return clamp(options.initialMs, options);
  usable.sort((a, b) => a - b);
  const rank = Math.min(usable.length - 1, Math.ceil(options.quantile * usable.length) - 1);
  return clamp(usable[Math.max(0, rank)]! + options.headroomMs, options);
}

function clamp(ms: number, options: SpinMarginOptions): number {
  return Math.min(options.maxMs, Math.max(options.minMs, ms));
}

/** A rolling window of lateness samples and the margin they call for (recomputed on change). */
export class AdaptiveSpinMargin {
  private readonly samples: number[] = [];
  private next = 0;
  private current: number;

  constructor(private readonly options: SpinMarginOptions = DEFAULT_SPIN_MARGIN) {
    this.current = clamp(options.initialMs, options);
  }

  /** A fixed margin that never adapts (tests, or an operator's explicit setting). */
  static fixed(ms: number): AdaptiveSpinMargin {
    return new AdaptiveSpinMargin({ ...DEFAULT_SPIN_MARGIN, initialMs: ms, minMs: ms, maxMs: ms });
  }

  get marginMs(): number {
    return this.current;
  }

  get sampleCount(): number {
    return this.samples.length;
  }

  /** One measured lateness (a timer that woke late, or an event-loop delay), ms. */
  observe(lateMs: number): void {
    if (!Number.isFinite(lateMs)) return;
    if (this.samples.length < this.options.window) this.samples.push(lateMs);
    else this.samples[this.next] = lateMs;
    this.next = (this.next + 1) % this.options.window;
    this.current = spinMarginFor(this.samples, this.options);
  }
}
