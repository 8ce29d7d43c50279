/** Priorities 0 (background) to 3 (critical), as on the wire. */
export const PRIORITY_LEVELS = 4;

interface Slot<T> {
  item: T;
  priority: number;
  enqueuedAt: number;
}

/**
 * A bounded queue of work with four priorities: higher first, FIFO within a priority, and
 * aging so low priorities are not starved: an item's effective priority rises by one for each
 * `agingMs` it has waited, and ties go to the longer wait, so a background item waits at most
 * about 3 x agingMs behind a stream of critical ones. Offering to a full queue fails; the caller refuses the work.
 */
export class PriorityWorkQueue<T> {
  private readonly levels: Slot<T>[][] = Array.from({ length: PRIORITY_LEVELS }, () => []);
  private count = 0;

  constructor(
    readonly capacity: number,
    private readonly agingMs: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
    if (!(agingMs > 0)) throw new RangeError(`agingMs must be positive, got ${agingMs}`);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** False when the queue is full. */
  offer(item: T, priority: number, now: number): boolean {
    if (this.full) return false;
    const level = Math.min(PRIORITY_LEVELS - 1, Math.max(0, Math.trunc(priority)));
    this.levels[level]!.push({ item, priority: level, enqueuedAt: now });
    this.count++;
    return true;
  }

  /** The next item: highest effective priority; on a tie, the one that has waited longest. */
  take(now: number): T | undefined {
    let best: Slot<T>[] | undefined;
    let bestScore = -Infinity;
    let bestSince = Infinity;
    for (let level = PRIORITY_LEVELS - 1; level >= 0; level--) {
      const head = this.levels[level]![0];
      if (head === undefined) continue;
      const score = head.priority + Math.floor((now - head.enqueuedAt) / this.agingMs);
      if (score > bestScore || (score === bestScore && head.enqueuedAt < bestSince)) {
        bestScore = score;
        bestSince = head.enqueuedAt;
        best = this.levels[level];
      }
    }
    const slot = best?.shift();
    if (slot === undefined) return undefined;
    this.count--;
    return slot.item;
  }

  /** Removes and returns everything, highest priority first. */
  drain(): T[] {
    const all: T[] = [];
    for (let level = PRIORITY_LEVELS - 1; level >= 0; level--) {
      for (const slot of this.levels[level]!) all.push(slot.item);
      this.levels[level] = [];
    }
    this.count = 0;
    return all;
  }
}
