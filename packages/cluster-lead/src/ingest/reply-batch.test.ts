import { describe, expect, it } from 'vitest';
import { ReplyBatch } from './reply-batch.js';

describe('reply batch', () => {
  it('runs the replies queued in one turn together, then writes them out', async () => {
    const order: string[] = [];
    const batch = new ReplyBatch({ budgetMs: 1_000, flush: () => order.push('flush'), onError: () => order.push('error') });
    batch.add(() => order.push('a'));
    batch.add(() => order.push('b'));
    expect(order).toEqual([]); // nothing before the verified frames of this turn have all queued theirs
    await Promise.resolve();
    batch.add(() => order.push('c'));
    await new Promise((resolve) => setImmediate(resolve));
    // a and b in one batch with no flush inside it (nats.js writes them in one go); c in the next.
    expect(order).toEqual(['a', 'b', 'c']);
    expect(batch.batches).toBe(2);
    expect(batch.flushes).toBe(0);
  });

  it('pushes the replies signed so far to the socket once the signing budget is spent, so no t3 waits long', async () => {
    let now = 0;
    const order: string[] = [];
    const batch = new ReplyBatch({ budgetMs: 1, now: () => now, flush: () => order.push('flush'), onError: () => undefined });
    // Each reply takes 0.4 ms to sign: a flush after every third, none after the last.
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
      batch.add(() => {
        now += 0.4;
        order.push(name);
      });
    }
    await Promise.resolve();
    expect(order).toEqual(['a', 'b', 'c', 'flush', 'd', 'e', 'f', 'flush', 'g']);
  });

  it('keeps answering the rest of the batch when one reply fails', async () => {
    const errors: unknown[] = [];
    const done: string[] = [];
    const batch = new ReplyBatch({ budgetMs: 1, flush: () => undefined, onError: (e) => errors.push(e) });
    batch.add(() => {
      throw new Error('oversized');
    });
    batch.add(() => done.push('next'));
    await Promise.resolve();
    expect(done).toEqual(['next']);
    expect(errors).toHaveLength(1);
  });

  it('also writes out after maxReplies replies, however fast they were signed', async () => {
    const order: string[] = [];
    const batch = new ReplyBatch({ budgetMs: 1_000, maxReplies: 2, now: () => 0, flush: () => order.push('flush'), onError: () => undefined });
    for (const name of ['a', 'b', 'c', 'd', 'e']) batch.add(() => order.push(name));
    await Promise.resolve();
    expect(order).toEqual(['a', 'b', 'flush', 'c', 'd', 'flush', 'e']);
  });
});
