/** Something due at a monotonic instant; `heapIndex` is the heap's bookkeeping, -1 when out. */
export interface Timed {
  due: number;
  heapIndex: number;
}

/**
 * A binary min-heap of timed entries with O(log n) insert, removal and re-keying, so one timer
 * can serve thousands of entries (heartbeats of virtual agents, hold-mode releases).
 */
export class TimerHeap<T extends Timed> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes an entry; false when it was not in the heap. */
  remove(item: T): boolean {
    const index = item.heapIndex;
    if (index < 0 || this.items[index] !== item) return false;
    const last = this.items.pop()!;
    item.heapIndex = -1;
    if (last !== item) {
      this.items[index] = last;
      last.heapIndex = index;
      this.down(index);
      this.up(last.heapIndex);
    }
    return true;
  }

  /** Changes an entry's due time and restores heap order. */
  reschedule(item: T, due: number): void {
    if (item.heapIndex < 0 || this.items[item.heapIndex] !== item) {
      item.due = due;
      this.push(item);
      return;
    }
    item.due = due;
    this.up(item.heapIndex);
    this.down(item.heapIndex);
  }

  drain(): T[] {
    const all = this.items.splice(0, this.items.length);
    for (const item of all) item.heapIndex = -1;
    return all;
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.items[parent]!.due <= this.items[i]!.due) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.items.length && this.items[left]!.due < this.items[smallest]!.due) smallest = left;
      if (right < this.items.length && this.items[right]!.due < this.items[smallest]!.due) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const x = this.items[a]!;
    const y = this.items[b]!;
    this.items[a] = y;
    this.items[b] = x;
    x.heapIndex = b;
    y.heapIndex = a;
  }
}
