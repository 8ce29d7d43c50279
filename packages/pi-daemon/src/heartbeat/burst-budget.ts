import { performance } from 'node:perf_hooks';

export interface BurstBudgetOptions {
  /** Fast start-up beats allowed per second, across everyone sharing the budget. */
  perSecond: number;
  /** Saved-up beats at most (the bucket's size); it starts full. */
  capacity: number;
  now?: () => number;
}

/**
 * Caps the start-up burst of every agent sharing it (the virtual agents of one sim process):
 * a fast beat (the first soon after start or reconnect, or one of the burst's quick beats)
 * spends a token, and an agent that finds none beats at its ordinary jittered interval instead.
 * A fleet that boots or reconnects together then adds at most `perSecond` beats a second to its
 * steady rate, however many agents it has.
 */
export class BurstBudget {
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  /** Fast beats refused since construction. */
  refused = 0;

  constructor(private readonly options: BurstBudgetOptions) {
    this.now = options.now ?? (() => performance.now());
    this.tokens = options.capacity;
    this.last = this.now();
  }

  /** True (and a token spent) when a fast beat may go now. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.options.capacity, this.tokens + ((now - this.last) / 1000) * this.options.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.refused++;
    return false;
  }
}
