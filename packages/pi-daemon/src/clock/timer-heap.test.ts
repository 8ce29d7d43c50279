import { describe, expect, it } from 'vitest';
import { TimerHeap, type Timed } from './timer-heap.js';

const item = (due: number, name = String(due)): Timed & { name: string } => ({ due, heapIndex: -1, name });

describe('TimerHeap', () => {
  it('pops in due order, and removes and re-keys entries anywhere in the heap', () => {
    const heap = new TimerHeap<Timed & { name: string }>();
    const entries = [50, 10, 40, 30, 20, 60].map((d) => item(d));
    for (const e of entries) heap.push(e);
    expect(heap.remove(entries[2]!)).toBe(true); // 40
    expect(heap.remove(entries[2]!)).toBe(false);
    heap.reschedule(entries[0]!, 5); // 50 -> 5
    const order: number[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) order.push(e.due);
    expect(order).toEqual([5, 10, 20, 30, 60]);
    expect(heap.size).toBe(0);
  });

  it('stays ordered under random operations', () => {
    const heap = new TimerHeap<Timed & { name: string }>();
    const live = new Set<Timed & { name: string }>();
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 2_000; n++) {
      const roll = random();
      if (roll < 0.6 || live.size === 0) {
        const e = item(random() * 1000);
        heap.push(e);
        live.add(e);
      } else if (roll < 0.8) {
        const e = [...live][Math.floor(random() * live.size)]!;
        heap.remove(e);
        live.delete(e);
      } else {
        heap.reschedule([...live][Math.floor(random() * live.size)]!, random() * 1000);
      }
    }
    const popped: number[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) popped.push(e.due);
    expect(popped).toHaveLength(live.size);
    expect(popped).toEqual([...popped].sort((a, b) => a - b));
  });
});
