import type { ArrivalRecord } from './arrival-tap.js';

/**
 * Hands arrival records to their writer off the release path: all records queued since the
 * last write are built (when given as a function) and written together `delayMs` after the
 * first of them (in the next check phase with 0), so neither building records nor turning them
 * into JSON runs between a release pass and the emulated links that carry its ACKs.
 */
export class ArrivalQueue {
  private pending: (ArrivalRecord | (() => ArrivalRecord))[] = [];
  private scheduled = false;

  constructor(
    private readonly write: (record: ArrivalRecord) => void,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly delayMs = 0,
  ) {}

  /** Records waiting for the next flush. */
  get size(): number {
    return this.pending.length;
  }

  /** A record, or how to build it (built at the flush, off the release path). */
  push(record: ArrivalRecord | (() => ArrivalRecord)): void {
    this.pending.push(record);
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.delayMs <= 0) setImmediate(() => this.flush());
    else setTimeout(() => this.flush(), this.delayMs).unref();
  }

  /** Writes everything queued now (also what the scheduled turn does). */
  flush(): void {
    this.scheduled = false;
    const records = this.pending;
    this.pending = [];
    for (const record of records) {
      try {
        this.write(typeof record === 'function' ? record() : record);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
