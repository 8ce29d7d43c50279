import type { BreakerSetEvent } from '@mesh30k/shared';
import { describe, expect, it } from 'vitest';
import { BreakerHistory } from './breaker-history.js';

const event = (at: number, from: BreakerSetEvent['from'], to: BreakerSetEvent['to'], targetId = 'c-1'): BreakerSetEvent => ({
  name: 'breaker.opened',
  kind: to === 'open' ? (from === 'open' ? 'extended' : 'opened') : to === 'closed' ? 'closed' : 'half-opened',
  scope: 'cluster',
  targetId,
  from,
  to,
  reason: 'test',
  at,
  nextCheckAt: null,
  shadow: false,
});

describe('BreakerHistory', () => {
  it('keeps changes of state only, numbered, oldest first', () => {
    const history = new BreakerHistory(8);
    history.record(event(1, 'closed', 'open'));
    expect(history.record(event(2, 'open', 'open'))).toBeUndefined();
    history.record(event(3, 'open', 'half-open'));
    expect(history.list().map((r) => [r.seq, r.at, r.to])).toEqual([
      [1, 1, 'open'],
      [2, 3, 'half-open'],
    ]);
    expect(history.list(1).map((r) => r.seq)).toEqual([2]);
  });

  it('is a ring: the oldest go first and are counted as dropped; limit keeps the newest', () => {
    const history = new BreakerHistory(3);
    for (let i = 0; i < 5; i++) history.record(event(i, i % 2 === 0 ? 'closed' : 'open', i % 2 === 0 ? 'open' : 'closed'));
    expect(history.list().map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(history.dropped).toBe(2);
    expect(history.list(0, 2).map((r) => r.seq)).toEqual([4, 5]);
  });

  it('tells its listeners of each transition until they leave', () => {
    const history = new BreakerHistory();
    const seen: number[] = [];
    const off = history.on((r) => seen.push(r.seq));
    history.record(event(1, 'closed', 'open'));
    off();
    history.record(event(2, 'open', 'closed'));
    expect(seen).toEqual([1]);
  });
});
