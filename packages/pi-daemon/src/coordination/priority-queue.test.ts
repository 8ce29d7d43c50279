import { describe, expect, it } from 'vitest';
import { PriorityWorkQueue } from './priority-queue.js';

describe('PriorityWorkQueue', () => {
  it('serves higher priorities first and FIFO within a priority', () => {
    const queue = new PriorityWorkQueue<string>(10, 1_000);
    for (const [item, priority] of [['a0', 0], ['b2', 2], ['c3', 3], ['d2', 2], ['e1', 1]] as const) queue.offer(item, priority, 0);
    expect([1, 2, 3, 4, 5].map(() => queue.take(0))).toEqual(['c3', 'b2', 'd2', 'e1', 'a0']);
    expect(queue.take(0)).toBeUndefined();
  });

  it('refuses when full', () => {
    const queue = new PriorityWorkQueue<number>(2, 1_000);
    expect(queue.offer(1, 0, 0)).toBe(true);
    expect(queue.offer(2, 3, 0)).toBe(true);
    expect(queue.offer(3, 3, 0)).toBe(false);
    expect(queue.size).toBe(2);
  });

  it('bounds starvation: a background item waits at most about 3 aging periods behind critical work', () => {
    const queue = new PriorityWorkQueue<string>(100, 100);
    queue.offer('background', 0, 0);
    let now = 0;
    let served: string | undefined;
    // A critical item arrives every 10 ms forever; each is taken 10 ms later.
    for (let n = 0; n < 1_000 && served !== 'background'; n++) {
      queue.offer(`critical-${n}`, 3, now);
      now += 10;
      served = queue.take(now);
    }
    expect(served).toBe('background');
    expect(now).toBeLessThanOrEqual(310);
    expect(now).toBeGreaterThanOrEqual(300);
  });

  it('drains highest priority first', () => {
    const queue = new PriorityWorkQueue<string>(5, 1_000);
    queue.offer('low', 0, 0);
    queue.offer('high', 3, 0);
    expect(queue.drain()).toEqual(['high', 'low']);
    expect(queue.size).toBe(0);
  });
});
