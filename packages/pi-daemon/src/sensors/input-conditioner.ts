/**
 * From raw electrical edges to the changes an input reports: active-low inverts, debounce
 * waits until the level has held for debounce_ms (the report carries the instant the burst
 * began: when the button was pressed, not when it stopped bouncing), and the edge setting
 * keeps rising (logical true), falling (false) or both. Same for every backend.
 */
import type { RawEdge } from './gpio-port.js';

/** setTimeout and clearTimeout, injected so tests drive time by hand. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ConditionerOptions {
  debounceMs: number;
  activeLow: boolean;
  edge: 'both' | 'rising' | 'falling';
  timers: Timers;
}

export class InputConditioner {
  private stable: boolean | undefined;
  private latest: boolean | undefined;
  private burstStart: number | undefined;
  private timer: unknown;

  constructor(
    private readonly options: ConditionerOptions,
    private readonly emit: (value: boolean, atLocal: number) => void,
  ) {}

  /** The logical value for an electrical level. */
  logical(level: boolean): boolean {
    return level !== this.options.activeLow;
  }

  /** The settled value at start (read once); later edges are compared with it. */
  prime(level: boolean): boolean {
    this.stable = this.logical(level);
    this.latest = this.stable;
    return this.stable;
  }

  get value(): boolean | undefined {
    return this.stable;
  }

  onRaw(edge: RawEdge): void {
    this.latest = this.logical(edge.level);
    this.burstStart ??= edge.atLocal;
    if (this.options.debounceMs === 0) return this.settle();
    if (this.timer !== undefined) this.options.timers.clear(this.timer);
    this.timer = this.options.timers.set(() => this.settle(), this.options.debounceMs);
  }

  close(): void {
    if (this.timer !== undefined) this.options.timers.clear(this.timer);
    this.timer = undefined;
  }

  private settle(): void {
    this.timer = undefined;
    const at = this.burstStart ?? 0;
    this.burstStart = undefined;
    const value = this.latest;
    if (value === undefined || value === this.stable) return; // bounced back: nothing happened
    this.stable = value;
    const { edge } = this.options;
    if (edge === 'both' || (edge === 'rising') === value) this.emit(value, at);
  }
}
