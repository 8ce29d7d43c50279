/**
 * Log lines that a flood must not multiply: the first `first` lines of each window are written
 * in full, the rest only counted by key, and one summary line with the counts is written when
 * the window ends. A hostile client can then cost the lead at most `first` lines per window.
 */
import type { Logger } from './logger.js';

export interface SampledLogOptions {
  /** Lines written in full per window. */
  readonly first: number;
  readonly windowMs: number;
  /** The summary line's event name. */
  readonly summaryEvent: string;
  readonly summaryMessage: string;
}

export class SampledLog {
  private written = 0;
  private readonly suppressed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly options: SampledLogOptions,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    this.timer ??= setTimeout(() => this.flush(), this.options.windowMs).unref();
    if (this.written < this.options.first) {
      this.written++;
      this.logger.warn(fields, message);
      return;
    }
    this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
  }

  /** Ends the window: writes the summary if anything was held back. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed.size > 0) {
      const counts = Object.fromEntries(this.suppressed);
      const total = [...this.suppressed.values()].reduce((a, b) => a + b, 0);
      this.logger.warn({ event: this.options.summaryEvent, suppressed: counts, total, window_ms: this.options.windowMs }, `${this.options.summaryMessage}: ${total} more not logged in full`);
    }
    this.written = 0;
    this.suppressed.clear();
  }
}
