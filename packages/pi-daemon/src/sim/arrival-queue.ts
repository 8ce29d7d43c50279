import type { ArrivalRecord } from './arrival-tap.js';

/**
 * Hands arrival records to their writer off the release path: all records that became ready
 * in one event-loop turn are built (when given as a function) and written together in the next
 * check phase, so neither building records nor turning them into JSON runs between a release
 * pass and the emulated links that carry its ACKs.
 */
export class ArrivalQueue {
  private pending: (ArrivalRecord | (() => ArrivalRecord))[] = [];
  private scheduled = false;

  constructor(
    private readonly write: (record: ArrivalRecord) => void,
    private readonly onError: (error: unknown) => void = () => undefined,
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
    setImmediate(() => this.flush());
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
