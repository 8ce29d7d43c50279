/**
 * Operations waiting for a slot, served by priority with aging: an entry's effective priority
 * rises one level per agingStepMs of waiting, so a steady stream of critical work cannot starve
 * a background operation for ever. Ties go to the older entry. Bounded: offer() says no when full.
 */
import type { Priority } from '@mesh30k/shared';

export interface QueueEntry<T> {
  readonly item: T;
  readonly priority: Priority;
  readonly enqueuedAt: number;
  readonly seq: number;
}

export class AdmissionQueue<T> {
  private entries: QueueEntry<T>[] = [];
  private seq = 0;

  constructor(
    private readonly capacity: number,
    private readonly agingStepMs: number,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  get full(): boolean {
    return this.entries.length >= this.capacity;
  }

  /** False when the queue is full. */
  offer(item: T, priority: Priority, nowMs: number): boolean {
    if (this.full) return false;
    this.entries.push({ item, priority, enqueuedAt: nowMs, seq: this.seq++ });
    return true;
  }

  effectivePriority(entry: QueueEntry<T>, nowMs: number): number {
    return entry.priority + Math.max(0, Math.floor((nowMs - entry.enqueuedAt) / this.agingStepMs));
  }

  /** Entries in service order at nowMs (a copy). */
  ordered(nowMs: number): QueueEntry<T>[] {
    return [...this.entries].sort((a, b) => this.effectivePriority(b, nowMs) - this.effectivePriority(a, nowMs) || a.seq - b.seq);
  }

  some(predicate: (item: T) => boolean): boolean {
    return this.entries.some((e) => predicate(e.item));
  }

  remove(item: T): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.item !== item);
    return this.entries.length < before;
  }

  drain(): T[] {
    const items = this.entries.map((e) => e.item);
    this.entries = [];
    return items;
  }
}
