/**
 * Time is a dependency. Every component in `shared` takes a Clock instead of reading
 * Date.now() itself, so tests drive time explicitly and simulated agents can run skewed clocks.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch on this clock; may carry a fractional part. */
  now(): number;
}

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
