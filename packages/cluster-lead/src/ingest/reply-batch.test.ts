import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe('reply batch holding replies across turns', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds the first reply holdMs for others, then runs them all in one batch (one socket write)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const order: string[] = [];
    const batch = new ReplyBatch({ budgetMs: 1_000, holdMs: 2, flush: () => order.push('flush'), onError: () => undefined });
    batch.add(() => order.push('a'), 1 / 8);
    await Promise.resolve();
    batch.add(() => order.push('b'), 1 / 8);
    vi.advanceTimersByTime(1);
    expect(order).toEqual([]); // replies of two turns, both still held
    expect(batch.queued).toBe(2);
    vi.advanceTimersByTime(1);
    expect(order).toEqual(['a', 'b']);
    expect(batch.batches).toBe(1);
    expect(batch.flushes).toBe(0);
    batch.add(() => order.push('c'));
    vi.advanceTimersByTime(2);
    expect(order).toEqual(['a', 'b', 'c']); // the next reply starts a new hold
    expect(batch.batches).toBe(2);
  });

  it('stops holding once holdMax replies wait: they run at the end of the turn', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const order: string[] = [];
    const batch = new ReplyBatch({ budgetMs: 1_000, holdMs: 50, holdMax: 3, flush: () => undefined, onError: () => undefined });
    for (const name of ['a', 'b', 'c']) batch.add(() => order.push(name));
    expect(order).toEqual([]);
    await Promise.resolve();
    expect(order).toEqual(['a', 'b', 'c']);
    vi.advanceTimersByTime(50);
    expect(batch.batches).toBe(1); // the cancelled hold runs nothing more
  });

  it('weighs cheap (tagged) replies against maxReplies by their share of a signature', async () => {
    const order: string[] = [];
    const batch = new ReplyBatch({ budgetMs: 1_000, maxReplies: 1, now: () => 0, flush: () => order.push('flush'), onError: () => undefined });
    for (const name of ['a', 'b', 'c', 'd', 'e']) batch.add(() => order.push(name), 0.5);
    await Promise.resolve();
    expect(order).toEqual(['a', 'b', 'flush', 'c', 'd', 'flush', 'e']);
  });

  it('runNow answers what is held at once (a stopping lead)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const order: string[] = [];
    const batch = new ReplyBatch({ budgetMs: 1_000, holdMs: 5, flush: () => undefined, onError: () => undefined });
    batch.add(() => order.push('a'));
    batch.runNow();
    expect(order).toEqual(['a']);
    vi.advanceTimersByTime(5);
    expect(batch.batches).toBe(1);
  });
});
