import { describe, expect, it } from 'vitest';
import { MemoryOutbox, MemoryStateStore } from './memory-stores.js';

describe('MemoryOutbox', () => {
  it('numbers entries, returns them oldest first and removes only what it is told', () => {
    const outbox = new MemoryOutbox(10, () => 42);
    const seqs = outbox.enqueue([
      { kind: 'ACK', priority: 1, body: 'a' },
      { kind: 'CONFLICT', priority: 2, body: 'b' },
    ]);
    expect(seqs).toEqual([1, 2]);
    outbox.recordAttempt(1);
    expect(outbox.peek(5)).toEqual([
      { kind: 'ACK', priority: 1, body: 'a', seq: 1, queuedAt: 42, attempts: 1, nextAttemptAt: 0, stream: null },
      { kind: 'CONFLICT', priority: 2, body: 'b', seq: 2, queuedAt: 42, attempts: 0, nextAttemptAt: 0, stream: null },
    ]);
    outbox.remove([1]);
    expect(outbox.enqueue([{ kind: 'ACK', priority: 0, body: 'c' }])).toEqual([3]);
    expect(outbox.stats()).toEqual({ depth: 2, dropped: 0, oldestQueuedAt: 42 });
  });

  it('when full, drops the oldest lowest-priority entry and counts it', () => {
    const outbox = new MemoryOutbox(2);
    outbox.enqueue([
      { kind: 'ACK', priority: 2, body: 'keep' },
      { kind: 'ACK', priority: 0, body: 'drop' },
      { kind: 'ACK', priority: 3, body: 'new' },
    ]);
    expect(outbox.peek(5).map((e) => e.body)).toEqual(['keep', 'new']);
    expect(outbox.stats().dropped).toBe(1);
  });
});

describe('MemoryStateStore', () => {
  it('keeps copies, not references', () => {
    const state = new MemoryStateStore();
    const value = { frozen: true };
    state.set('k', value);
    value.frozen = false;
    expect(state.get<{ frozen: boolean }>('k')).toEqual({ frozen: true });
    state.delete('k');
    expect(state.get('k')).toBeUndefined();
  });
});
