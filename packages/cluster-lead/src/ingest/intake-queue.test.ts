import { describe, expect, it } from 'vitest';
import { IntakeQueue } from './intake-queue.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A queue whose slice clock moves 1 ms per item handled, and whose lead clock the test sets. */
function queueOf(options: { sliceMs: number; maxWaitMs?: number }) {
  let sliceClock = 0;
  const lead = { now: 1_000 };
  const log: string[] = [];
  const queue = new IntakeQueue<number>({
    ...options,
    clockNow: () => lead.now,
    sliceNow: () => sliceClock,
    handle: (n) => {
      sliceClock += 1;
      log.push(`handled ${n}`);
    },
    shed: (n, _at, waited) => log.push(`shed ${n} after ${waited}`),
    onError: (error) => log.push(`error ${String(error)}`),
  });
  return { queue, lead, log };
}

describe('IntakeQueue', () => {
  it('handles every item in arrival order, a slice at a time, with a turn of the event loop between slices', async () => {
    const { queue, log } = queueOf({ sliceMs: 3 });
    for (let n = 0; n < 8; n++) queue.push(n, 1_000);
    expect(log).toEqual([]);
    // Work the event loop until the queue is empty, noting each turn the loop got in between.
    let turns = 0;
    while (queue.length > 0 && turns < 20) {
      await turn();
      log.push('turn');
      turns++;
    }
    const handled = log.filter((l) => l.startsWith('handled'));
    expect(handled).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => `handled ${n}`));
    // 3 ms a slice at 1 ms an item: 3, 3, 2, each followed by a turn of the loop.
    expect(queue.slices).toBe(3);
    expect(log.join(',')).toBe('handled 0,handled 1,handled 2,turn,handled 3,handled 4,handled 5,turn,handled 6,handled 7,turn');
  });

  it('sheds the items that waited longer than maxWaitMs when their turn came, and handles the others', async () => {
    const { queue, lead, log } = queueOf({ sliceMs: 100, maxWaitMs: 500 });
    queue.push(1, 400);
    queue.push(2, 600);
    queue.push(3, 950);
    lead.now = 1_001;
    await turn();
    expect(log).toEqual(['shed 1 after 601', 'handled 2', 'handled 3']);
    expect(queue.shedCount).toBe(1);
  });

  it('keeps going after a handler throws, and drains everything at once on demand', () => {
    const log: string[] = [];
    const queue = new IntakeQueue<number>({
      sliceMs: 0,
      clockNow: () => 0,
      handle: (n) => {
        if (n === 2) throw new Error('bad item');
        log.push(`handled ${n}`);
      },
      shed: () => log.push('shed'),
      onError: (error) => log.push(`error ${(error as Error).message}`),
    });
    for (let n = 1; n <= 3; n++) queue.push(n, 0);
    queue.drainNow();
    expect(log).toEqual(['handled 1', 'error bad item', 'handled 3']);
    expect(queue.length).toBe(0);
  });
});
