/**
 * When a lead tries again to open its lease bucket after a failure (a NATS cluster still forming,
 * no JetStream meta leader yet): soon at first, then less often, never slower than `capMs`, so a
 * lead started beside its brokers becomes active shortly after they can serve it.
 */
export interface OpenBackoffOptions {
  readonly firstMs?: number;
  readonly capMs: number;
  /** A uniform draw in [0, 1), so the leads of a group do not retry in step. */
  readonly random: () => number;
}

const FIRST_MS = 250;
const JITTER = 0.2;

export class OpenBackoff {
  private failures = 0;

  constructor(private readonly options: OpenBackoffOptions) {}

  /** Failed attempts since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Notes a failed attempt; returns how long to wait before the next one. */
  failed(): number {
    const first = this.options.firstMs ?? FIRST_MS;
    const base = Math.min(first * 2 ** this.failures, this.options.capMs);
    this.failures += 1;
    return Math.max(1, Math.round(base * (1 - JITTER + this.options.random() * 2 * JITTER)));
  }

  reset(): void {
    this.failures = 0;
  }
}
