import type { ArrivalRecord } from './arrival-tap.js';

/**
 * Hands arrival records to their writer off the release path: all records that became ready
 * in one event-loop turn are written together in the next check phase, so turning records into
 * JSON never runs between a release pass and the emulated links that carry its ACKs.
 */
export class ArrivalQueue {
  private pending: ArrivalRecord[] = [];
  private scheduled = false;

  constructor(
    private readonly write: (record: ArrivalRecord) => void,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Records waiting for the next flush. */
  get size(): number {
    return this.pending.length;
  }

  push(record: ArrivalRecord): void {
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
        this.write(record);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
